//! Costs end to end through every service:
//!
//! * every deployment's plan is priced before apply: the estimate is in the log before
//!   the apply starts, stored on the deployment, and the policies read it (a cost
//!   policy refuses a site over its limit);
//! * reports, trend, forecast and the CSV export on a seeded history with known
//!   answers, and a customer sees only its own costs;
//! * budgets with a controlled clock: each threshold fires once, the forecast one
//!   before the actual ones on a rising series, a new month starts clean, and the
//!   alert reaches a webhook receiver.

use std::time::{Duration, Instant};

use canopy_cost::store::{self as cost_store, NewRecord};
use canopy_kit::clock::Clock as _;
use canopy_kit::db::{Database, Scope};
use canopy_kit::testing::{TestEnv, TestServices};
use canopy_sdk::proto::canopy::common::v1::{CloudProvider, Money};
use canopy_sdk::proto::canopy::cost::v1 as cost;
use canopy_sdk::proto::canopy::cost::v1::budget_service_client::BudgetServiceClient;
use canopy_sdk::proto::canopy::cost::v1::cost_service_client::CostServiceClient;
use canopy_sdk::proto::canopy::policy::v1 as policy;
use canopy_sdk::proto::canopy::policy::v1::policy_service_client::PolicyServiceClient;
use canopy_sdk::proto::canopy::sites::v1 as sites;
use canopy_sdk::proto::canopy::sites::v1::site_service_client::SiteServiceClient;
use chrono::{Datelike, Days, NaiveDate};
use uuid::Uuid;

use crate::hook::Hook;
use crate::isolation::{OWNER_PASSWORD, login, tenant};

type Authed = tonic::service::interceptor::InterceptedService<tonic::transport::Channel, canopy_sdk::BearerToken>;

async fn costs(services: &TestServices, token: &str) -> CostServiceClient<Authed> {
    let canopy = services.client("cost", "gateway").await.with_token(token);
    CostServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
}

async fn budgets(services: &TestServices, token: &str) -> BudgetServiceClient<Authed> {
    let canopy = services.client("cost", "gateway").await.with_token(token);
    BudgetServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
}

async fn site_client(services: &TestServices, token: &str) -> SiteServiceClient<Authed> {
    let canopy = services.client("sites", "gateway").await.with_token(token);
    SiteServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
}

/// The fields an INVALID_ARGUMENT names, in order.
fn violation_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    status
        .get_error_details()
        .bad_request()
        .map(|bad| bad.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

fn usd(dollars: i64) -> i64 {
    dollars * 1_000_000
}

/// A day's accrued record for a customer (and a site, when given).
fn record(tenant: Uuid, site: Option<Uuid>, day: NaiveDate, micros: i64, provider: &str, kind: &str) -> NewRecord {
    NewRecord {
        tenant_id: Some(tenant),
        site_id: site,
        account: format!("seed-{provider}"),
        provider: provider.into(),
        resource_id: format!("{provider}:{}:{kind}", site.map(|s| s.to_string()).unwrap_or_else(|| tenant.to_string())),
        service: "seeded".into(),
        resource_type: kind.into(),
        region: "eu-west-1".into(),
        day,
        granularity: "daily".into(),
        source: "accrued".into(),
        amount_micros: micros,
        currency: "USD".into(),
        sandbox: false,
    }
}

/// Stores records as a collection run would, rollups included.
async fn seed(database: &Database, records: &[NewRecord]) {
    let start = records.iter().map(|r| r.day).min().unwrap();
    let end = records.iter().map(|r| r.day).max().unwrap();
    // A fixture written as the collection job writes: across customers.
    let mut tx = database.begin(Scope::Platform).await.unwrap();
    cost_store::upsert_records(&mut tx, records, chrono::Utc::now()).await.unwrap();
    cost_store::rebuild_rollups(&mut tx, start, end, "USD").await.unwrap();
    tx.commit().await.unwrap();
}

async fn wait_for_deployment(services: &TestServices, token: &str, id: &str, status: sites::DeploymentStatus) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let current = site_client(services, token)
            .await
            .get_deployment(sites::GetDeploymentRequest { deployment_id: id.into() })
            .await
            .unwrap()
            .into_inner()
            .deployment
            .unwrap();
        if current.status() == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "deployment {id} is {:?}, not {status:?}: {}",
            current.status(),
            current.error
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn log(services: &TestServices, token: &str, id: &str) -> Vec<String> {
    let mut stream = site_client(services, token)
        .await
        .watch_deployment(sites::WatchDeploymentRequest { deployment_id: id.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let mut lines = Vec::new();
    while let Ok(Ok(Some(message))) = tokio::time::timeout(Duration::from_millis(500), stream.message()).await {
        if let Some(event) = message.event {
            lines.push(event.message);
        }
    }
    lines
}

async fn create_site(services: &TestServices, token: &str, name: &str) -> (String, String) {
    let created = site_client(services, token)
        .await
        .create_site(sites::CreateSiteRequest {
            idempotency_key: format!("costs-{name}"),
            name: name.into(),
            provider: CloudProvider::Digitalocean as i32,
            region: "fra1".into(),
            size: sites::SiteSize::Medium as i32,
            database_enabled: true,
            runtime: Some(sites::Runtime { image: "nginx:1.27".into(), port: 80, env: Default::default() }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    (created.site.unwrap().id, created.deployment.unwrap().id)
}

#[tokio::test]
async fn every_plan_is_priced_before_apply_and_cost_policies_read_the_estimate() {
    let mut env = TestEnv::new().await;
    env.config.set_section_value("provisioner", "sandbox_step_millis", serde_json::json!(5));
    let services = env.spawn(canopyd::registry::MANIFESTS).await;
    let database = Database::connect(&env.config.database).await.unwrap();
    let password = canopy_identity::ensure_platform_admin(&database, "admin@costs.test").await.unwrap().unwrap();
    let admin = login(&services, "admin@costs.test", &password).await;
    let customer = tenant(&services, &admin, "priced").await;
    let owner = customer.token.clone();

    // The customer's first site (GCP, small) is priced first, so the totals below are known.
    wait_for_deployment(&services, &owner, &customer.ids["deployment_id"], sites::DeploymentStatus::Succeeded).await;

    // DigitalOcean, medium, with a database: 2 × s-2vcpu-2gb Droplets ($18 each), a
    // load balancer node ($12), one db-s-1vcpu-2gb node ($30): $78 a month.
    let (site, deployment) = create_site(&services, &owner, "estimated").await;
    wait_for_deployment(&services, &owner, &deployment, sites::DeploymentStatus::Succeeded).await;
    let lines = log(&services, &owner, &deployment).await;
    let priced = lines.iter().position(|line| line.starts_with("estimated cost: USD 78.00 a month"));
    let priced = priced.unwrap_or_else(|| panic!("no estimate in the log:\n{}", lines.join("\n")));
    let applying =
        lines.iter().position(|line| line.to_lowercase().contains("apply")).expect("the log shows the apply");
    assert!(priced < applying, "the estimate comes before the apply:\n{}", lines.join("\n"));
    assert!(lines.iter().any(|line| line.contains("Droplet s-2vcpu-2gb: USD 18.00 a month")), "{lines:#?}");

    let stored = costs(&services, &owner)
        .await
        .get_deployment_estimate(cost::GetDeploymentEstimateRequest {
            customer_id: String::new(),
            deployment_id: deployment.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.site_id, site);
    let estimate = stored.estimate.unwrap();
    assert_eq!(estimate.monthly_micros, usd(78));
    assert_eq!(estimate.currency_code, "USD");
    // The customer's total: this site and the one it started with (GCP, small).
    let first_site = costs(&services, &owner)
        .await
        .get_deployment_estimate(cost::GetDeploymentEstimateRequest {
            customer_id: String::new(),
            deployment_id: customer.ids["deployment_id"].clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .estimate
        .unwrap()
        .monthly_micros;
    assert!(first_site > 0);
    assert_eq!(estimate.customer_monthly_micros, usd(78) + first_site);

    // The site runs in the sandbox: its actual costs are simulated from the estimate,
    // with history, and marked as such.
    let deadline = Instant::now() + Duration::from_secs(60);
    let page = loop {
        let page = costs(&services, &owner)
            .await
            .get_site_costs(cost::GetSiteCostsRequest { site_id: site.clone(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        if page.daily.iter().any(|day| day.accrued_micros > 0) {
            break page;
        }
        assert!(Instant::now() < deadline, "no simulated costs for the sandbox site: {page:?}");
        // The sandbox account is collected every 10 s of the services' clock.
        env.clock.advance(chrono::Duration::seconds(11));
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(page.sandbox);
    assert_eq!(page.daily.len(), 30);
    let accuracy = page.accuracy.unwrap();
    assert!(accuracy.error_percent.unwrap().abs() < 20.0, "simulated within ±15 %: {accuracy:?}");

    // The operator caps a site at $50 a month: the next site of the same shape is refused
    // on its estimate, before anything is applied.
    let canopy = services.client("policy", "gateway").await.with_token(&admin);
    PolicyServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
        .create_policy(policy::CreatePolicyRequest {
            customer_id: String::new(),
            policy: Some(policy::PolicySpec {
                name: "site-budget".into(),
                enforcement: policy::EnforcementLevel::HardMandatory as i32,
                enabled: true,
                definition: Some(policy::policy_spec::Definition::Cost(policy::CostForm {
                    max_site_monthly: Some(Money { currency_code: "USD".into(), minor_units: 5000 }),
                    max_customer_monthly: None,
                })),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let (_, refused) = create_site(&services, &owner, "too-dear").await;
    wait_for_deployment(&services, &owner, &refused, sites::DeploymentStatus::Failed).await;
    let lines = log(&services, &owner, &refused).await;
    assert!(
        lines.iter().any(|line| line.contains("estimated monthly cost of this site is 7800 USD minor units")),
        "the cost policy names the estimate:\n{}",
        lines.join("\n")
    );
    // The refused site's estimate counts toward the customer's total it was checked with.
    let refused_estimate = costs(&services, &owner)
        .await
        .get_deployment_estimate(cost::GetDeploymentEstimateRequest {
            customer_id: String::new(),
            deployment_id: refused,
        })
        .await
        .unwrap()
        .into_inner()
        .estimate
        .unwrap();
    assert_eq!(refused_estimate.customer_monthly_micros, usd(156) + first_site);

    // EstimateSite prices a site that does not exist; bad choices are named.
    let quote = costs(&services, &owner)
        .await
        .estimate_site(cost::EstimateSiteRequest {
            customer_id: String::new(),
            provider: CloudProvider::Akamai as i32,
            region: "eu-west".into(),
            size: "large".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .estimate
        .unwrap();
    // 3 × g6-standard-4 ($48) and a NodeBalancer ($10).
    assert_eq!(quote.monthly_micros, usd(154));
    let refused = costs(&services, &owner)
        .await
        .estimate_site(cost::EstimateSiteRequest {
            customer_id: String::new(),
            provider: CloudProvider::Akamai as i32,
            region: "mars-1".into(),
            size: "huge".into(),
            database_enabled: true,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    let fields = violation_fields(&refused);
    for field in ["region", "size", "database_enabled"] {
        assert!(fields.iter().any(|f| f == field), "{field} is named: {fields:?}");
    }
}

#[tokio::test]
async fn reports_trends_forecasts_and_exports_answer_from_a_seeded_history() {
    let mut env = TestEnv::new().await;
    // No collection: the seeded records are all the costs there are.
    env.config.set_section_value("cost", "accounts", serde_json::json!({}));
    let services = env.spawn(canopyd::registry::MANIFESTS).await;
    let database = Database::connect(&env.config.database).await.unwrap();
    let password = canopy_identity::ensure_platform_admin(&database, "admin@reports.test").await.unwrap().unwrap();
    let admin = login(&services, "admin@reports.test", &password).await;
    let a = tenant(&services, &admin, "report-a").await;
    let b = tenant(&services, &admin, "report-b").await;
    let a_id: Uuid = a.id.parse().unwrap();
    let b_id: Uuid = b.id.parse().unwrap();
    let a_site: Uuid = a.ids["site_id"].parse().unwrap();
    let b_site: Uuid = b.ids["site_id"].parse().unwrap();

    // Sixty days up to yesterday. A: compute $10 a day on AWS and a database $5 a day
    // on AWS; B: $7 a day on GCP.
    let today = env.clock.now().date_naive();
    let first = today - Days::new(60);
    let mut records = Vec::new();
    for offset in 0..60 {
        let day = first + Days::new(offset);
        records.push(record(a_id, Some(a_site), day, usd(10), "aws", "compute"));
        records.push(record(a_id, Some(a_site), day, usd(5), "aws", "database"));
        records.push(record(b_id, Some(b_site), day, usd(7), "gcp", "compute"));
    }
    seed(&database, &records).await;
    let range = |customer: &str, start: NaiveDate, end: NaiveDate| cost::CostFilter {
        customer_id: customer.into(),
        start_date: start.to_string(),
        end_date: end.to_string(),
        ..Default::default()
    };
    let yesterday = today - Days::new(1);
    let last_30 = yesterday - Days::new(29);

    // The platform's last 30 days by provider: AWS $450, GCP $210; the 30 before
    // cost the same, so no change.
    let report = costs(&services, &admin)
        .await
        .get_cost_report(cost::GetCostReportRequest {
            filter: Some(range("", last_30, yesterday)),
            group_by: cost::Dimension::Provider as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let totals: Vec<(String, i64)> = report.series.iter().map(|s| (s.group.clone(), s.total_micros)).collect();
    assert_eq!(totals, [("aws".to_string(), usd(450)), ("gcp".to_string(), usd(210))]);
    assert_eq!(report.total_micros, usd(660));
    assert_eq!(report.previous_total_micros, usd(660));
    assert_eq!(report.change_percent, Some(0.0));
    assert_eq!(report.periods.len(), 30);
    assert_eq!(report.series[0].points.len(), 30);
    assert!(report.series[0].points.iter().all(|p| p.micros == usd(15)));

    // A customer sees only itself, grouped by site, named.
    let own = costs(&services, &a.token)
        .await
        .get_cost_report(cost::GetCostReportRequest {
            filter: Some(range("", last_30, yesterday)),
            group_by: cost::Dimension::Site as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.total_micros, usd(450));
    assert_eq!(own.series.len(), 1);
    assert_eq!(own.series[0].group, a_site.to_string());
    // Asking for B's costs as A is asking for a customer that does not exist.
    let denied = costs(&services, &a.token)
        .await
        .get_cost_report(cost::GetCostReportRequest {
            filter: Some(range(&b.id, last_30, yesterday)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::NotFound);

    // Months: the platform's whole months read the monthly rollup and agree with the days.
    let this_month = today.with_day(1).unwrap();
    let previous_month = this_month - chrono::Months::new(1);
    let month_end = this_month - Days::new(1);
    let monthly = costs(&services, &admin)
        .await
        .get_cost_report(cost::GetCostReportRequest {
            filter: Some(range("", previous_month, month_end)),
            granularity: cost::Granularity::Month as i32,
            group_by: cost::Dimension::Customer as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let seeded_days =
        previous_month.iter_days().take_while(|day| *day <= month_end).filter(|day| *day >= first).count() as i64;
    let a_total = monthly.series.iter().find(|s| s.group == a.id).unwrap().total_micros;
    assert_eq!(a_total, usd(15) * seeded_days);

    // Forecast: a flat $15 a day, seasonal with 60 days: the next months at $15 a day.
    let forecast = costs(&services, &a.token)
        .await
        .get_cost_forecast(cost::GetCostForecastRequest { filter: None })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(forecast.method(), cost::ForecastMethod::Seasonal);
    let next = &forecast.next_months[0];
    let next_days = {
        let start = this_month + chrono::Months::new(1);
        ((start + chrono::Months::new(1)) - start).num_days()
    };
    assert_eq!(next.expected_micros, usd(15) * next_days);
    assert_eq!((next.low_micros, next.high_micros), (next.expected_micros, next.expected_micros), "no spread");
    // A site with two days of data has no forecast, and says why.
    let (young_site, _) = (Uuid::new_v4(), ());
    seed(
        &database,
        &[
            record(a_id, Some(young_site), yesterday - Days::new(1), usd(1), "aws", "other"),
            record(a_id, Some(young_site), yesterday, usd(1), "aws", "other"),
        ],
    )
    .await;
    let young = costs(&services, &a.token)
        .await
        .get_cost_forecast(cost::GetCostForecastRequest {
            filter: Some(cost::CostFilter { site_id: young_site.to_string(), ..Default::default() }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(young.method(), cost::ForecastMethod::Unspecified);
    assert_eq!(young.reason, "a forecast needs at least 3 days of cost data; there are 2");

    // CSV of a filtered report: A's database rows of the last 3 days, nothing else.
    let mut stream = costs(&services, &a.token)
        .await
        .export_costs(cost::ExportCostsRequest {
            filter: Some(cost::CostFilter {
                resource_type: "database".into(),
                start_date: (yesterday - Days::new(2)).to_string(),
                end_date: yesterday.to_string(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let mut csv = String::new();
    while let Some(piece) = stream.message().await.unwrap() {
        csv.push_str(&piece.data);
    }
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(rows[0].starts_with("date,customer_id,site_id,provider"));
    assert!(rows[1..].iter().all(|row| row.contains(",database,") && row.contains(",5.000000,USD,")), "{csv}");
    assert!(!csv.contains(&b.id));

    // Bad ranges are named.
    let reversed = costs(&services, &admin)
        .await
        .get_cost_report(cost::GetCostReportRequest {
            filter: Some(range("", yesterday, last_30)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violation_fields(&reversed), ["filter.end_date"]);
    let too_long = costs(&services, &admin)
        .await
        .get_cost_report(cost::GetCostReportRequest {
            filter: Some(range("", yesterday - Days::new(800), yesterday)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violation_fields(&too_long), ["filter.end_date"]);
}

async fn budget(services: &TestServices, token: &str, id: &str) -> cost::Budget {
    budgets(services, token)
        .await
        .get_budget(cost::GetBudgetRequest { customer_id: String::new(), budget_id: id.into() })
        .await
        .unwrap()
        .into_inner()
        .budget
        .unwrap()
}

/// Waits until the budget was evaluated at or after `since` (the clock's time).
async fn evaluated(
    services: &TestServices,
    token: &str,
    id: &str,
    since: chrono::DateTime<chrono::Utc>,
) -> cost::Budget {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let current = budget(services, token, id).await;
        let at = current.status.as_ref().and_then(|s| s.evaluate_time).map(|t| t.seconds).unwrap_or(0);
        if at >= since.timestamp() {
            // One more pass, so anything it fired is committed and visible.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return budget(services, token, id).await;
        }
        assert!(Instant::now() < deadline, "the budget was not evaluated: {current:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn fired(budget: &cost::Budget) -> Vec<(i32, cost::ThresholdBasis)> {
    let mut fired: Vec<_> = budget
        .status
        .as_ref()
        .map(|status| {
            status.fired.iter().map(|f| f.threshold.as_ref().unwrap()).map(|t| (t.percent, t.basis())).collect()
        })
        .unwrap_or_default();
    fired.sort();
    fired
}

#[tokio::test]
async fn budget_thresholds_fire_once_forecast_first_and_a_new_month_starts_clean() {
    let mut env = TestEnv::new().await;
    env.config.set_section_value("cost", "budget_interval_ms", serde_json::json!(100));
    // No collection: the seeded records are all the costs there are (the customer's
    // first site runs in the sandbox, whose simulated costs would add to them).
    env.config.set_section_value("cost", "accounts", serde_json::json!({}));
    for (setting, value) in [
        ("dispatch_interval_ms", serde_json::json!(50)),
        ("delivery_interval_ms", serde_json::json!(50)),
        ("allow_insecure_endpoints", serde_json::json!(true)),
    ] {
        env.config.set_section_value("alerts", setting, value);
    }
    // Start on the 8th of next month at noon, so the month has a known shape.
    let now = env.clock.now();
    let next_month = (now.date_naive().with_day(1).unwrap() + chrono::Months::new(1)).and_hms_opt(12, 0, 0).unwrap();
    env.clock.advance(next_month.and_utc() - now + chrono::Duration::days(7));
    let services = env.spawn(canopyd::registry::MANIFESTS).await;
    let database = Database::connect(&env.config.database).await.unwrap();
    let password = canopy_identity::ensure_platform_admin(&database, "admin@budgets.test").await.unwrap().unwrap();
    let admin = login(&services, "admin@budgets.test", &password).await;
    let customer = tenant(&services, &admin, "budgeted").await;
    let tenant_id: Uuid = customer.id.parse().unwrap();

    // Alerts go to a webhook.
    let hook = Hook::routed(&services, &admin, "finance", &["alertname", "percent", "basis"], false).await;

    // A rising series: $8, $9, … a day for the 14 days up to yesterday (the 7th).
    let today = env.clock.now().date_naive();
    assert_eq!(today.day(), 8);
    let dollars = |day: NaiveDate| 8 + day.signed_duration_since(today - Days::new(14)).num_days();
    let days = |from: NaiveDate, to: NaiveDate| {
        from.iter_days()
            .take_while(|day| *day <= to)
            .map(|day| record(tenant_id, None, day, usd(dollars(day)), "aws", "compute"))
            .collect::<Vec<_>>()
    };
    seed(&database, &days(today - Days::new(14), today - Days::new(1))).await;

    // $300 a month with the default thresholds. Actual so far: 15 + … + 21 = $126 (42 %);
    // the forecast for the month is well above $300: only the forecast threshold fires.
    let created = budgets(&services, &customer.token)
        .await
        .create_budget(cost::CreateBudgetRequest {
            customer_id: String::new(),
            spec: Some(cost::BudgetSpec {
                name: "monthly".into(),
                amount: Some(Money { currency_code: "USD".into(), minor_units: 30_000 }),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .budget
        .unwrap();
    assert_eq!(created.spec.as_ref().unwrap().thresholds.len(), 4, "the default thresholds");
    let first = evaluated(&services, &customer.token, &created.id, env.clock.now()).await;
    let status = first.status.clone().unwrap();
    assert_eq!(status.actual_micros, usd(126));
    assert!(status.forecast_micros.unwrap() > usd(300), "{status:?}");
    assert_eq!(fired(&first), [(100, cost::ThresholdBasis::Forecast)]);

    // Twelve days on, the series kept rising: 50 %, 80 % and 100 % of the actual fire,
    // and the forecast threshold does not fire again.
    env.clock.advance(chrono::Duration::days(12));
    let owner = login(&services, "owner@budgeted.test", OWNER_PASSWORD).await;
    let today = env.clock.now().date_naive();
    seed(&database, &days(today - Days::new(12), today - Days::new(1))).await;
    let later = evaluated(&services, &owner, &created.id, env.clock.now()).await;
    assert_eq!(
        fired(&later),
        [
            (50, cost::ThresholdBasis::Actual),
            (80, cost::ThresholdBasis::Actual),
            (100, cost::ThresholdBasis::Actual),
            (100, cost::ThresholdBasis::Forecast),
        ]
    );
    let times: Vec<i64> = later.status.as_ref().unwrap().fired.iter().map(|f| f.fire_time.unwrap().seconds).collect();
    let forecast_time = later
        .status
        .as_ref()
        .unwrap()
        .fired
        .iter()
        .find(|f| f.threshold.unwrap().basis() == cost::ThresholdBasis::Forecast)
        .unwrap()
        .fire_time
        .unwrap()
        .seconds;
    assert_eq!(forecast_time, *times.iter().min().unwrap(), "the forecast threshold fired first");
    // Several more passes fire nothing more.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fired(&budget(&services, &owner, &created.id).await).len(), 4);

    // The alert reached the webhook (after the route's group wait).
    env.clock.advance(chrono::Duration::seconds(31));
    let deadline = Instant::now() + Duration::from_secs(30);
    while hook.containing("budget_threshold").is_empty() {
        assert!(Instant::now() < deadline, "no budget alert reached the receiver: {:?}", hook.bodies());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivered = hook.containing("budget_threshold")[0].to_string();
    assert!(delivered.contains(&customer.id), "{delivered}");

    // A new month starts clean: nothing fired yet, nothing accrued.
    env.clock.advance(chrono::Duration::days(20));
    let month = env.clock.now().date_naive().format("%Y-%m").to_string();
    let owner = login(&services, "owner@budgeted.test", OWNER_PASSWORD).await;
    let fresh = evaluated(&services, &owner, &created.id, env.clock.now()).await;
    let status = fresh.status.unwrap();
    assert_eq!(status.month, month);
    assert_eq!(status.actual_micros, 0);
    assert!(status.fired.is_empty(), "{status:?}");
}

#[tokio::test]
async fn budgets_refuse_bad_amounts_currencies_and_thresholds_and_store_nothing() {
    let env = TestEnv::new().await;
    let services = env.spawn(canopyd::registry::MANIFESTS).await;
    let database = Database::connect(&env.config.database).await.unwrap();
    let password = canopy_identity::ensure_platform_admin(&database, "admin@bad-budgets.test").await.unwrap().unwrap();
    let admin = login(&services, "admin@bad-budgets.test", &password).await;
    let customer = tenant(&services, &admin, "careless").await;
    let mut client = budgets(&services, &customer.token).await;
    let spec = |currency: &str, minor_units: i64, thresholds: Vec<cost::Threshold>| cost::BudgetSpec {
        name: "bad".into(),
        amount: Some(Money { currency_code: currency.into(), minor_units }),
        thresholds,
        ..Default::default()
    };
    let threshold = |percent, basis: cost::ThresholdBasis| cost::Threshold { percent, basis: basis as i32 };
    for (spec, expected) in [
        (spec("USD", 0, vec![]), vec!["spec.amount.minor_units"]),
        (spec("USD", -5, vec![]), vec!["spec.amount.minor_units"]),
        (spec("XYZ", 100, vec![]), vec!["spec.amount.currency_code"]),
        (spec("EUR", 100, vec![]), vec!["spec.amount.currency_code"]),
        (
            spec(
                "USD",
                100,
                vec![
                    threshold(0, cost::ThresholdBasis::Actual),
                    threshold(1001, cost::ThresholdBasis::Forecast),
                    threshold(50, cost::ThresholdBasis::Unspecified),
                ],
            ),
            vec!["spec.thresholds[0].percent", "spec.thresholds[1].percent", "spec.thresholds[2].basis"],
        ),
    ] {
        let refused = client
            .create_budget(cost::CreateBudgetRequest { customer_id: String::new(), spec: Some(spec) })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
        assert_eq!(violation_fields(&refused), expected);
    }
    let listed = client.list_budgets(cost::ListBudgetsRequest::default()).await.unwrap().into_inner().budgets;
    let names: Vec<&str> = listed.iter().map(|b| b.spec.as_ref().unwrap().name.as_str()).collect();
    assert_eq!(names, ["careless-monthly"], "only the budget it started with: nothing half-written");
}
