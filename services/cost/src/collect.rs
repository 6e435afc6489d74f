//! Collection: the scheduled runs that bring the clouds' cost data in.
//!
//! * **Schedule.** Every account gets a run over the last `restate_days` days up to
//!   yesterday each `collect_every_secs` (clouds restate recent days, so they are read
//!   again); the sandbox account every `sandbox_every_secs`, over `sandbox_history_days`
//!   when a sandbox site has no costs yet (its backfill), else the last few days.
//! * **Queue.** Runs are rows of `cost.collection_run`, claimed with `SKIP LOCKED`
//!   under a lease, so replicas share them and a run whose process died is taken
//!   again. One queued run per account and range (`CollectCosts` reuses it).
//! * **Idempotent.** Records are upserted by (account, resource, day, source); a
//!   restated day updates its row and an unchanged one writes nothing. The rollups of
//!   the run's days are rebuilt in the same transaction.
//! * **Failures.** Credentials refused (401/403): the account is marked refused and the
//!   run fails at once — retrying cannot help until someone fixes them, and the next
//!   scheduled run tries again. Throttled: the run waits the delay the cloud asked
//!   for. Anything else: backoff, `max_attempts` attempts.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use canopy_cost_collectors::{
    AccountConfig, CollectError, Collector, CostRecord, DateRange, ResourceType, SandboxCollector, SandboxSite, SiteRef,
};
use canopy_kit::db::Scope;
use canopy_terraform::CloudProvider;
use chrono::Days;
use uuid::Uuid;

use crate::store::{self, NewRecord, RunRow, SiteRow};
use crate::{CostConfig, Costs};

/// Days finished runs are kept for `ListCollectionRuns`.
const RUN_RETENTION_DAYS: i64 = 7;

/// How long a claimed run may take before another worker takes it over.
const LEASE: Duration = Duration::from_secs(600);

/// One configured account.
pub struct Account {
    pub name: String,
    pub config: AccountConfig,
    /// The HTTP collector; `None` for the sandbox, which is built per run from the
    /// sandbox sites.
    collector: Option<Box<dyn Collector>>,
}

impl Account {
    pub fn kind(&self) -> &'static str {
        self.config.kind()
    }

    /// The cloud; `None` for the sandbox.
    pub fn provider(&self) -> Option<CloudProvider> {
        self.kind().parse().ok()
    }

    pub fn account_label(&self) -> String {
        self.config.account()
    }

    pub fn base_url(&self) -> String {
        self.config.base_url().to_owned()
    }

    fn is_sandbox(&self) -> bool {
        self.kind() == "sandbox"
    }
}

/// The configured accounts, by name.
pub struct Accounts(BTreeMap<String, Account>);

impl Accounts {
    pub fn from_config(config: &CostConfig) -> anyhow::Result<Self> {
        let http = canopy_kit::http::HttpClient::new(Duration::from_secs(60));
        let mut accounts = BTreeMap::new();
        for (name, account) in &config.accounts {
            let collector = match account {
                AccountConfig::Sandbox { .. } => None,
                _ => Some(
                    canopy_cost_collectors::collector(account, http.clone())
                        .map_err(|error| anyhow::anyhow!("services.cost.accounts.{name}: {error}"))?,
                ),
            };
            accounts.insert(name.clone(), Account { name: name.clone(), config: account.clone(), collector });
        }
        Ok(Self(accounts))
    }

    pub fn get(&self, name: &str) -> Option<&Account> {
        self.0.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Account> {
        self.0.values()
    }

    pub fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }
}

/// The job: schedule, then work off due runs, forever.
pub async fn run_forever(costs: Arc<Costs>) {
    let poll = Duration::from_millis(costs.config.worker_poll_ms.max(10));
    loop {
        if let Err(error) = schedule(&costs).await {
            tracing::warn!(error = format!("{error:#}"), "scheduling cost collection failed");
        }
        loop {
            match run_next(&costs).await {
                Ok(true) => continue,
                Ok(false) => break,
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "a cost collection run failed to record");
                    break;
                }
            }
        }
        tokio::time::sleep(poll).await;
    }
}

/// Queues each account's run when its interval has passed.
pub async fn schedule(costs: &Costs) -> anyhow::Result<()> {
    let now = costs.clock.now();
    let today = now.date_naive();
    let config = &costs.config;
    // A system pass across customers: collection is the platform's.
    let mut tx = costs.database.begin(Scope::Platform).await?;
    for account in costs.accounts.iter() {
        let every = if account.is_sandbox() { config.sandbox_every_secs } else { config.collect_every_secs };
        let last = store::last_queued(&mut tx, &account.name).await?;
        if last.is_some_and(|last| (now - last).as_seconds_f64() < every) {
            continue;
        }
        let (start, end) = if account.is_sandbox() {
            let back = if store::sandbox_sites_without_costs(&mut tx, &account.name).await? {
                config.sandbox_history_days
            } else {
                config.restate_days
            };
            (today - Days::new(u64::from(back)), today - Days::new(1))
        } else {
            (today - Days::new(u64::from(config.restate_days) + 1), today - Days::new(1))
        };
        store::queue_run(&mut tx, &account.name, start, end, now).await?;
    }
    store::purge_runs(&mut tx, now - chrono::Duration::days(RUN_RETENTION_DAYS)).await?;
    tx.commit().await?;
    Ok(())
}

/// Claims and runs one due run; false when none is due.
pub async fn run_next(costs: &Costs) -> anyhow::Result<bool> {
    let now = costs.clock.now();
    let lease_until = now + chrono::Duration::from_std(LEASE)?;
    let mut tx = costs.database.begin(Scope::Platform).await?;
    let Some(run) = store::claim_run(&mut tx, now, lease_until).await? else {
        return Ok(false);
    };
    let sites = store::all_sites(&mut tx).await?;
    let sandbox_sites = store::sandbox_sites(&mut tx).await?;
    tx.commit().await?;
    let outcome = collect_run(costs, &run, &sites, &sandbox_sites).await;
    if let Err(error) = finish(costs, &run, &sites, outcome).await {
        // Storing failed (the database, or records it refused): the run is retried
        // with backoff rather than left running until its lease lapses.
        let message = format!("storing the records failed: {error:#}");
        let now = costs.clock.now();
        let mut tx = costs.database.begin(Scope::Platform).await?;
        let state = if run.attempts >= costs.config.max_attempts { "failed" } else { "queued" };
        store::finish_run(&mut tx, run.id, state, 0, &message, now, Some(now + backoff(&costs.config, run.attempts)))
            .await?;
        store::set_account_status(&mut tx, &run.account, "failing", &message, now).await?;
        tx.commit().await?;
        tracing::warn!(account = run.account, error = message, "a cost collection run failed to record");
    }
    Ok(true)
}

async fn collect_run(
    costs: &Costs,
    run: &RunRow,
    sites: &[SiteRow],
    sandbox_sites: &[store::SandboxSiteRow],
) -> Result<Vec<CostRecord>, CollectError> {
    let Some(account) = costs.accounts.get(&run.account) else {
        return Err(CollectError::Refused { status: 0, message: "the account is no longer configured".into() });
    };
    let days = DateRange::new(run.start_date, run.end_date)
        .map_err(|error| CollectError::Malformed(format!("the run's days: {error}")))?;
    match &account.collector {
        Some(collector) => {
            let ids: Vec<Uuid> = sites.iter().map(|site| site.site_id).collect();
            collector.set_sites(&ids);
            collector.collect(days).await
        }
        None => {
            let history = u64::from(costs.config.sandbox_history_days);
            let simulated = sandbox_sites
                .iter()
                .map(|site| {
                    // One simulated resource per category: the estimate's lines summed.
                    let mut lines: BTreeMap<&'static str, (ResourceType, i64)> = BTreeMap::new();
                    for line in &site.lines.0 {
                        let kind = category(&line.resource_type);
                        lines.entry(kind.as_str()).or_insert((kind, 0)).1 += line.monthly_micros;
                    }
                    SandboxSite {
                        site_id: site.site_id,
                        created_on: site.first_seen - Days::new(history),
                        region: site.region.clone(),
                        lines: lines.into_values().collect(),
                    }
                })
                .collect();
            SandboxCollector::new(simulated).with_currency(&costs.config.currency).collect(days).await
        }
    }
}

async fn finish(
    costs: &Costs,
    run: &RunRow,
    sites: &[SiteRow],
    outcome: Result<Vec<CostRecord>, CollectError>,
) -> anyhow::Result<()> {
    let now = costs.clock.now();
    let mut tx = costs.database.begin(Scope::Platform).await?;
    match outcome {
        Ok(records) => {
            let account = costs.accounts.get(&run.account);
            let provider_of_account = account.and_then(Account::provider).map(CloudProvider::as_str);
            let records = attribute(&run.account, provider_of_account, sites, &records);
            let written = store::upsert_records(&mut tx, &records, now).await?;
            // Invoice lines are dated by their period's first day, which may lie before
            // the run's range: rebuild every day the records touch.
            let first = records.iter().map(|record| record.day).min().unwrap_or(run.start_date).min(run.start_date);
            let last = records.iter().map(|record| record.day).max().unwrap_or(run.end_date).max(run.end_date);
            store::rebuild_rollups(&mut tx, first, last, &costs.config.currency).await?;
            store::finish_run(&mut tx, run.id, "succeeded", written as i64, "", now, None).await?;
            let other_currency = records.iter().filter(|record| record.currency != costs.config.currency).count();
            let message = if other_currency > 0 {
                format!(
                    "{other_currency} records are in another currency than {} and are left out of reports",
                    costs.config.currency
                )
            } else {
                String::new()
            };
            store::set_account_status(&mut tx, &run.account, "ok", &message, now).await?;
            tracing::info!(account = run.account, written, "cost collection run succeeded");
        }
        Err(error) => {
            let message = error.to_string();
            let (status, retry_at) = match &error {
                CollectError::Refused { .. } => ("refused", None),
                CollectError::Throttled { retry_after, .. } => (
                    "throttled",
                    Some(now + retry_after.map_or_else(|| backoff(&costs.config, run.attempts), to_chrono)),
                ),
                _ => ("failing", Some(now + backoff(&costs.config, run.attempts))),
            };
            let give_up = retry_at.is_none() || run.attempts >= costs.config.max_attempts;
            if give_up {
                store::finish_run(&mut tx, run.id, "failed", 0, &message, now, None).await?;
            } else {
                store::finish_run(&mut tx, run.id, "queued", 0, &message, now, retry_at).await?;
            }
            store::set_account_status(&mut tx, &run.account, status, &message, now).await?;
            tracing::warn!(
                account = run.account,
                attempt = run.attempts,
                error = message,
                "cost collection run failed"
            );
        }
    }
    tx.commit().await?;
    Ok(())
}

fn to_chrono(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

fn backoff(config: &CostConfig, attempt: i32) -> chrono::Duration {
    let exponent = attempt.saturating_sub(1).clamp(0, 30);
    let secs = (config.retry_base_secs * f64::from(1u32 << exponent)).min(config.retry_max_secs);
    to_chrono(Duration::from_secs_f64(secs))
}

/// Records as stored: each attributed to its site and customer where the cloud's
/// data names one (a cost tag, or a resource name carrying the site id's tail).
pub fn attribute(account: &str, provider: Option<&str>, sites: &[SiteRow], records: &[CostRecord]) -> Vec<NewRecord> {
    let by_id: HashMap<Uuid, &SiteRow> = sites.iter().map(|site| (site.site_id, site)).collect();
    // A record per (resource, day, source): the store's key. Collectors promise it; lines
    // that still share a key are summed, so one run never writes a key twice.
    let mut merged: BTreeMap<(String, chrono::NaiveDate, &'static str), CostRecord> = BTreeMap::new();
    for record in records {
        merged
            .entry((record.resource_id.clone(), record.day, record.source.as_str()))
            .and_modify(|kept| kept.amount_micros += record.amount_micros)
            .or_insert_with(|| record.clone());
    }
    let ids: Vec<Uuid> = sites.iter().map(|site| site.site_id).collect();
    merged
        .values()
        .map(|record| {
            let site = match &record.site {
                SiteRef::Id(id) => by_id.get(id).copied(),
                SiteRef::Name(name) => {
                    canopy_cost_collectors::site_from_name(name, &ids).and_then(|id| by_id.get(&id).copied())
                }
                SiteRef::Unknown => None,
            };
            let sandbox = provider.is_none();
            NewRecord {
                tenant_id: site.map(|site| site.tenant_id),
                site_id: site.map(|site| site.site_id),
                account: account.to_owned(),
                provider: provider
                    .map(str::to_owned)
                    .or_else(|| site.map(|site| site.provider.clone()))
                    .unwrap_or_else(|| "sandbox".into()),
                resource_id: record.resource_id.clone(),
                service: record.service.clone(),
                resource_type: record.resource_type.as_str().to_owned(),
                region: if record.region.is_empty() {
                    site.map(|site| site.region.clone()).unwrap_or_default()
                } else {
                    record.region.clone()
                },
                day: record.day,
                granularity: record.granularity.as_str().to_owned(),
                source: record.source.as_str().to_owned(),
                amount_micros: record.amount_micros,
                currency: record.currency.clone(),
                sandbox,
            }
        })
        .collect()
}

/// The category of an estimate line's Terraform resource type.
pub fn category(resource_type: &str) -> ResourceType {
    match resource_type {
        "aws_ecs_service"
        | "azurerm_service_plan"
        | "google_cloud_run_v2_service"
        | "digitalocean_droplet"
        | "linode_instance"
        | "aws_cloudwatch_log_group" => ResourceType::Compute,
        "aws_db_instance"
        | "azurerm_postgresql_flexible_server"
        | "google_sql_database_instance"
        | "digitalocean_database_cluster" => ResourceType::Database,
        "aws_lb" | "digitalocean_loadbalancer" | "linode_nodebalancer" => ResourceType::LoadBalancer,
        "aws_s3_bucket" | "azurerm_storage_account" | "google_storage_bucket" | "digitalocean_spaces_bucket" => {
            ResourceType::Storage
        }
        "aws_nat_gateway"
        | "aws_eip"
        | "azurerm_nat_gateway"
        | "azurerm_public_ip"
        | "google_compute_router_nat"
        | "data_transfer" => ResourceType::Network,
        _ => ResourceType::Other,
    }
}
