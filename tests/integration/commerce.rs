//! Store connections end to end through every service, against local servers that
//! speak Shopify's, WooCommerce's and BigCommerce's APIs:
//!
//! * credentials are checked live before anything is stored (a refusal stores
//!   nothing), sealed at rest, and never come back: not in a response, not in a log
//!   line, not in an audit record, not in any database row as text;
//! * bad input (a shop domain off myshopify.com, plain http, loopback and private
//!   store addresses, empty and oversized fields, another customer's site) is named by
//!   its field, and nothing is stored;
//! * the scheduled check follows a store that starts refusing the credentials: the
//!   integration turns unhealthy with the cause, the alert reaches a webhook, a rate
//!   limit keeps the health and waits as asked, and the recovery resolves the alert.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use canopy_commerce_platforms::stand_in::Mode;
use canopy_commerce_platforms::stand_in::StandIn as _;
use canopy_commerce_platforms::stand_in::bigcommerce::{BigCommerceSetup, BigCommerceStandIn};
use canopy_commerce_platforms::stand_in::shopify::{ShopifySetup, ShopifyStandIn};
use canopy_commerce_platforms::stand_in::woocommerce::{WooCommerceSetup, WooCommerceStandIn};
use canopy_kit::clock::Clock as _;
use canopy_kit::db::Database;
use canopy_kit::testing::{TestEnv, TestServices, captured_logs, install_log_capture};
use canopy_sdk::proto::canopy::commerce::v1 as commerce;
use canopy_sdk::proto::canopy::commerce::v1::integration_service_client::IntegrationServiceClient;
use canopy_sdk::proto::canopy::commerce::v1::platform_service_client::PlatformServiceClient;
use prost::Message as _;
use sqlx::Row as _;
use tonic_types::StatusExt as _;

use crate::alert_events::wait_for_alert;
use crate::hook::Hook;
use crate::isolation::{Tenant, login, tenant};

/// The event an unhealthy store raises.
const UNHEALTHY: &str = canopy_commerce::health::UNHEALTHY_EVENT;

type Authed = tonic::service::interceptor::InterceptedService<tonic::transport::Channel, canopy_sdk::BearerToken>;

/// Secrets no test code path would produce by accident.
const SHOPIFY_TOKEN: &str = "shpat_zebra0pelican0quartz0marmot01";
const SHOPIFY_CLIENT_SECRET: &str = "shpss_walrus0ember0tundra0falcon9";
const WOO_KEY: &str = "ck_heron0basalt0cobalt0lynx000000000000000";
const WOO_SECRET: &str = "cs_otter0granite0saffron0kestrel00000000000";
const BIGCOMMERCE_TOKEN: &str = "bcAuthIbexAmberGlacierWren2026";

/// The three stand-ins, set up with the recognisable secrets.
struct Stores {
    shopify: ShopifyStandIn,
    woocommerce: WooCommerceStandIn,
    bigcommerce: BigCommerceStandIn,
}

impl Stores {
    async fn start(env: &TestEnv) -> Self {
        let shopify = ShopifyStandIn::start(
            ShopifySetup {
                access_token: SHOPIFY_TOKEN.into(),
                client_secret: SHOPIFY_CLIENT_SECRET.into(),
                ..ShopifySetup::default()
            },
            std::sync::Arc::new(env.clock.clone()),
        )
        .await;
        let woocommerce = WooCommerceStandIn::start(WooCommerceSetup {
            consumer_key: WOO_KEY.into(),
            consumer_secret: WOO_SECRET.into(),
            ..WooCommerceSetup::default()
        })
        .await;
        let bigcommerce = BigCommerceStandIn::start(BigCommerceSetup {
            access_token: BIGCOMMERCE_TOKEN.into(),
            ..BigCommerceSetup::default()
        })
        .await;
        Self { shopify, woocommerce, bigcommerce }
    }

    /// Commerce pointed at the stand-ins (plain http on loopback, allowed for tests only).
    fn configure(&self, env: &mut TestEnv) {
        for (setting, value) in [
            ("shopify_base_url", serde_json::json!(self.shopify.url())),
            ("bigcommerce_api_url", serde_json::json!(self.bigcommerce.url())),
            ("allow_http", serde_json::json!(true)),
            ("allow_private_addresses", serde_json::json!(true)),
        ] {
            env.config.set_section_value("commerce", setting, value);
        }
    }

    fn shopify_form(&self, token: &str) -> HashMap<String, String> {
        form(&[("shop_domain", &self.shopify.setup().shop_domain), ("access_token", token)])
    }

    fn woocommerce_form(&self) -> HashMap<String, String> {
        form(&[("store_url", self.woocommerce.url()), ("consumer_key", WOO_KEY), ("consumer_secret", WOO_SECRET)])
    }

    fn bigcommerce_form(&self) -> HashMap<String, String> {
        form(&[("store_hash", &self.bigcommerce.setup().store_hash), ("access_token", BIGCOMMERCE_TOKEN)])
    }
}

fn form(fields: &[(&str, &str)]) -> HashMap<String, String> {
    fields.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
}

async fn integrations(services: &TestServices, token: &str) -> IntegrationServiceClient<Authed> {
    let canopy = services.client("commerce", "gateway").await.with_token(token);
    IntegrationServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
}

async fn create(
    services: &TestServices,
    owner: &Tenant,
    platform: commerce::Platform,
    credentials: HashMap<String, String>,
) -> Result<commerce::Integration, tonic::Status> {
    integrations(services, &owner.token)
        .await
        .create_integration(commerce::CreateIntegrationRequest {
            customer_id: String::new(),
            site_id: owner.ids["site_id"].clone(),
            platform: platform as i32,
            credentials,
            display_name: String::new(),
        })
        .await
        .map(|response| response.into_inner().integration.unwrap())
}

async fn listed(services: &TestServices, owner: &Tenant) -> Vec<commerce::Integration> {
    integrations(services, &owner.token)
        .await
        .list_integrations(commerce::ListIntegrationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .integrations
}

fn violations(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

fn reason(status: &tonic::Status) -> String {
    status.get_details_error_info().map(|info| info.reason).unwrap_or_default()
}

/// Spawns every service with commerce pointed at the stand-ins; a platform admin token.
async fn start(env: &TestEnv, admin_email: &str) -> (TestServices, String) {
    let services = env.spawn(canopyd::registry::MANIFESTS).await;
    let database = Database::connect(&env.config.database).await.unwrap();
    let password = canopy_identity::ensure_platform_admin(&database, admin_email).await.unwrap().unwrap();
    let admin = login(&services, admin_email, &password).await;
    (services, admin)
}

#[tokio::test]
async fn stores_are_connected_only_with_credentials_they_accept_and_secrets_never_come_back() {
    install_log_capture();
    let mut env = TestEnv::new().await;
    env.config.telemetry.log_filter = "debug".into();
    let stores = Stores::start(&env).await;
    stores.configure(&mut env);
    let (services, admin) = start(&env, "admin@commerce.test").await;
    let owner = tenant(&services, &admin, "merchant").await;
    let mut responses: Vec<Vec<u8>> = Vec::new();

    // The forms: each platform's fields, Shopify's two ways to authenticate.
    let canopy = services.client("commerce", "gateway").await.with_token(&owner.token);
    let platforms = PlatformServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
        .list_platforms(commerce::ListPlatformsRequest {})
        .await
        .unwrap()
        .into_inner()
        .platforms;
    assert_eq!(platforms.len(), 3);
    let shopify = platforms.iter().find(|p| p.platform() == commerce::Platform::Shopify).unwrap();
    let choices: std::collections::BTreeSet<&str> =
        shopify.fields.iter().map(|f| f.choice.as_str()).filter(|c| !c.is_empty()).collect();
    assert_eq!(choices.len(), 2, "an access token, or client credentials: {shopify:?}");
    assert!(shopify.fields.iter().any(|f| f.name == "access_token" && f.masked));

    // Validation before saving: wrong credentials are refused with the cause in words.
    let mut client = integrations(&services, &owner.token).await;
    let wrong = client
        .validate_credentials(commerce::ValidateCredentialsRequest {
            customer_id: String::new(),
            target: Some(commerce::validate_credentials_request::Target::NewCredentials(commerce::NewCredentials {
                platform: commerce::Platform::Shopify as i32,
                credentials: stores.shopify_form("shpat_not0the0right0token0000000000"),
            })),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!wrong.valid);
    assert_eq!(wrong.cause(), commerce::HealthCause::Unauthorized);
    assert!(wrong.message.contains("refused the credentials"), "{}", wrong.message);
    let right = client
        .validate_credentials(commerce::ValidateCredentialsRequest {
            customer_id: String::new(),
            target: Some(commerce::validate_credentials_request::Target::NewCredentials(commerce::NewCredentials {
                platform: commerce::Platform::Shopify as i32,
                credentials: stores.shopify_form(SHOPIFY_TOKEN),
            })),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(right.valid, "{right:?}");
    assert_eq!(right.store_name, stores.shopify.setup().shop_name);
    assert!(listed(&services, &owner).await.is_empty(), "validating stores nothing");

    // Connecting with credentials the store refuses stores nothing.
    let refused = create(
        &services,
        &owner,
        commerce::Platform::Shopify,
        stores.shopify_form("shpat_wrong00000000000000000000000"),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition, "{refused:?}");
    assert_eq!(reason(&refused), "STORE_UNAUTHORIZED");
    assert!(listed(&services, &owner).await.is_empty());

    // Each platform, with credentials the store accepts.
    let shop =
        create(&services, &owner, commerce::Platform::Shopify, stores.shopify_form(SHOPIFY_TOKEN)).await.unwrap();
    assert_eq!(shop.health(), commerce::IntegrationHealth::Healthy, "{shop:?}");
    assert_eq!(shop.store, stores.shopify.setup().shop_domain);
    assert_eq!(shop.display_name, stores.shopify.setup().shop_name, "named after the store by default");
    assert_eq!(shop.hints["access_token"], format!("…{}", &SHOPIFY_TOKEN[SHOPIFY_TOKEN.len() - 4..]));
    let app = create(
        &services,
        &owner,
        commerce::Platform::Shopify,
        form(&[
            ("shop_domain", &stores.shopify.setup().shop_domain),
            ("client_id", &stores.shopify.setup().client_id),
            ("client_secret", SHOPIFY_CLIENT_SECRET),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(app.health(), commerce::IntegrationHealth::Healthy, "{app:?}");
    let woo = create(&services, &owner, commerce::Platform::Woocommerce, stores.woocommerce_form()).await.unwrap();
    assert_eq!(woo.health(), commerce::IntegrationHealth::Healthy, "{woo:?}");
    assert_eq!(woo.hints["consumer_secret"], format!("…{}", &WOO_SECRET[WOO_SECRET.len() - 4..]));
    let big = create(&services, &owner, commerce::Platform::Bigcommerce, stores.bigcommerce_form()).await.unwrap();
    assert_eq!(big.health(), commerce::IntegrationHealth::Healthy, "{big:?}");
    for created in [&shop, &app, &woo, &big] {
        responses.push(created.encode_to_vec());
    }

    // Reading back: hints only, everywhere.
    let all = client.list_integrations(commerce::ListIntegrationsRequest::default()).await.unwrap().into_inner();
    assert_eq!(all.integrations.len(), 4);
    responses.push(all.encode_to_vec());
    let status = client
        .get_integration_status(commerce::GetIntegrationStatusRequest {
            customer_id: String::new(),
            integration_id: shop.id.clone(),
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.history.len(), 1, "the check at creation: {status:?}");
    assert_eq!(status.history[0].trigger, "created");
    responses.push(status.encode_to_vec());
    let on_demand = client
        .validate_credentials(commerce::ValidateCredentialsRequest {
            customer_id: String::new(),
            target: Some(commerce::validate_credentials_request::Target::IntegrationId(woo.id.clone())),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(on_demand.valid, "{on_demand:?}");
    responses.push(on_demand.encode_to_vec());

    // Rotation: new credentials replace the old only once the store accepts them.
    let rotated_refused = client
        .update_integration(commerce::UpdateIntegrationRequest {
            customer_id: String::new(),
            integration_id: shop.id.clone(),
            revision: shop.revision,
            display_name: String::new(),
            credentials: stores.shopify_form("shpat_revoked0000000000000000000000"),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&rotated_refused), "STORE_UNAUTHORIZED");
    let renamed = client
        .update_integration(commerce::UpdateIntegrationRequest {
            customer_id: String::new(),
            integration_id: shop.id.clone(),
            revision: shop.revision,
            display_name: "Main shop".into(),
            credentials: stores.shopify_form(SHOPIFY_TOKEN),
        })
        .await
        .unwrap()
        .into_inner()
        .integration
        .unwrap();
    assert_eq!(renamed.display_name, "Main shop");
    assert_eq!(renamed.revision, shop.revision + 1);
    responses.push(renamed.encode_to_vec());
    let stale = client
        .update_integration(commerce::UpdateIntegrationRequest {
            customer_id: String::new(),
            integration_id: shop.id.clone(),
            revision: shop.revision,
            display_name: "Stale".into(),
            credentials: HashMap::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&stale), "REVISION_CONFLICT");

    // The admin sees every customer's integrations, filtered by health.
    let healthy = integrations(&services, &admin)
        .await
        .list_integrations(commerce::ListIntegrationsRequest {
            health: commerce::IntegrationHealth::Healthy as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(healthy.integrations.len(), 4);
    responses.push(healthy.encode_to_vec());

    // Deleting forgets the credentials.
    client
        .delete_integration(commerce::DeleteIntegrationRequest {
            customer_id: String::new(),
            integration_id: app.id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(listed(&services, &owner).await.len(), 3);

    // No secret anywhere: responses, every database row as text (audit records
    // included), and every log line.
    let secrets = [SHOPIFY_TOKEN, SHOPIFY_CLIENT_SECRET, WOO_KEY, WOO_SECRET, BIGCOMMERCE_TOKEN];
    for bytes in &responses {
        let text = String::from_utf8_lossy(bytes);
        for secret in secrets {
            assert!(!text.contains(secret), "a response carries {secret}");
        }
    }
    // Audit records reach the audit service through outboxes: wait for the trail.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pool = env.superuser_pool().await;
    let tables = sqlx::query(
        "select table_schema, table_name from information_schema.tables
          where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut audited = false;
    for table in tables {
        let (schema, name): (String, String) = (table.get(0), table.get(1));
        let rows: Vec<String> = sqlx::query_scalar(&format!("select t::text from \"{schema}\".\"{name}\" t"))
            .fetch_all(&pool)
            .await
            .unwrap();
        for row in rows {
            audited |= schema == "audit" && row.contains("CreateIntegration");
            for secret in secrets {
                assert!(!row.contains(secret), "{schema}.{name} holds {secret}: {row}");
            }
        }
    }
    assert!(audited, "the connections are in the audit trail (which is what was searched)");
    let logs = captured_logs();
    assert!(logs.contains("commerce"), "the capture saw the commerce service");
    for secret in secrets {
        assert!(!logs.contains(secret), "a log line carries {secret}");
    }
}

#[tokio::test]
async fn bad_store_addresses_and_fields_are_named_and_nothing_is_stored() {
    // Production rules: https only, no private addresses, *.myshopify.com.
    let env = TestEnv::new().await;
    let (services, admin) = start(&env, "admin@commerce-input.test").await;
    let owner = tenant(&services, &admin, "careful").await;
    let other = tenant(&services, &admin, "elsewhere").await;
    let long = "x".repeat(5000);
    let cases: Vec<(commerce::Platform, HashMap<String, String>, &str)> = vec![
        (
            commerce::Platform::Shopify,
            form(&[("shop_domain", "shop.example.com"), ("access_token", SHOPIFY_TOKEN)]),
            "credentials.shop_domain",
        ),
        (
            commerce::Platform::Shopify,
            form(&[("shop_domain", "evil.myshopify.com.attacker.net"), ("access_token", SHOPIFY_TOKEN)]),
            "credentials.shop_domain",
        ),
        (
            commerce::Platform::Shopify,
            form(&[("shop_domain", "fine.myshopify.com"), ("access_token", "")]),
            "credentials",
        ),
        (
            commerce::Platform::Shopify,
            form(&[("shop_domain", "fine.myshopify.com"), ("access_token", &long)]),
            "credentials.access_token",
        ),
        (
            commerce::Platform::Woocommerce,
            form(&[
                ("store_url", "http://shop.example.com"),
                ("consumer_key", WOO_KEY),
                ("consumer_secret", WOO_SECRET),
            ]),
            "credentials.store_url",
        ),
        (
            commerce::Platform::Woocommerce,
            form(&[
                ("store_url", "https://127.0.0.1:8443"),
                ("consumer_key", WOO_KEY),
                ("consumer_secret", WOO_SECRET),
            ]),
            "credentials.store_url",
        ),
        (
            commerce::Platform::Woocommerce,
            form(&[("store_url", "https://10.1.2.3"), ("consumer_key", WOO_KEY), ("consumer_secret", WOO_SECRET)]),
            "credentials.store_url",
        ),
        (
            commerce::Platform::Woocommerce,
            form(&[
                ("store_url", "https://169.254.169.254/latest"),
                ("consumer_key", WOO_KEY),
                ("consumer_secret", WOO_SECRET),
            ]),
            "credentials.store_url",
        ),
        (
            commerce::Platform::Woocommerce,
            form(&[("store_url", "https://[::1]/"), ("consumer_key", WOO_KEY), ("consumer_secret", WOO_SECRET)]),
            "credentials.store_url",
        ),
        (
            commerce::Platform::Bigcommerce,
            form(&[("store_hash", "abc/../x"), ("access_token", BIGCOMMERCE_TOKEN)]),
            "credentials.store_hash",
        ),
        (commerce::Platform::Unspecified, form(&[]), "platform"),
    ];
    for (platform, credentials, field) in cases {
        let status = create(&services, &owner, platform, credentials.clone()).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{credentials:?}: {status:?}");
        let named = violations(&status);
        assert!(named.iter().any(|f| f.starts_with(field)), "{credentials:?}: expected {field}, got {named:?}");
        assert!(!status.message().contains(SHOPIFY_TOKEN) && !status.message().contains(WOO_SECRET));
    }
    // A name that resolves to loopback is refused when the call is made, whatever the URL says.
    let resolved = create(
        &services,
        &owner,
        commerce::Platform::Woocommerce,
        form(&[("store_url", "https://localhost:9"), ("consumer_key", WOO_KEY), ("consumer_secret", WOO_SECRET)]),
    )
    .await
    .unwrap_err();
    assert!(matches!(resolved.code(), tonic::Code::InvalidArgument | tonic::Code::FailedPrecondition), "{resolved:?}");
    // Another customer's site is not this customer's.
    let status = integrations(&services, &owner.token)
        .await
        .create_integration(commerce::CreateIntegrationRequest {
            customer_id: String::new(),
            site_id: other.ids["site_id"].clone(),
            platform: commerce::Platform::Shopify as i32,
            credentials: form(&[("shop_domain", "fine.myshopify.com"), ("access_token", SHOPIFY_TOKEN)]),
            display_name: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(violations(&status), ["site_id"], "{status:?}");
    assert!(listed(&services, &owner).await.is_empty(), "nothing was stored");
    let pool = env.superuser_pool().await;
    let stored: i64 = sqlx::query_scalar("select count(*) from commerce.integration").fetch_one(&pool).await.unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn a_store_that_starts_refusing_turns_unhealthy_with_its_cause_alerts_and_recovers() {
    let mut env = TestEnv::new().await;
    let stores = Stores::start(&env).await;
    stores.configure(&mut env);
    env.config.set_section_value("commerce", "worker_poll_ms", serde_json::json!(100));
    for (setting, value) in [
        ("dispatch_interval_ms", serde_json::json!(50)),
        ("delivery_interval_ms", serde_json::json!(50)),
        ("allow_insecure_endpoints", serde_json::json!(true)),
        // Longer than the test: the alert resolves because the store recovered, not by time.
        ("event_alert_resolve_after_secs", serde_json::json!(3600)),
    ] {
        env.config.set_section_value("alerts", setting, value);
    }
    let (services, admin) = start(&env, "admin@commerce-health.test").await;
    let owner = tenant(&services, &admin, "watched").await;
    let hook = Hook::routed(&services, &admin, "stores", &["alertname", "integration_id"], true).await;
    let shop =
        create(&services, &owner, commerce::Platform::Shopify, stores.shopify_form(SHOPIFY_TOKEN)).await.unwrap();
    let status = |token: String| {
        let services = &services;
        let id = shop.id.clone();
        async move {
            integrations(services, &token)
                .await
                .get_integration_status(commerce::GetIntegrationStatusRequest {
                    customer_id: String::new(),
                    integration_id: id,
                    page: None,
                })
                .await
                .unwrap()
                .into_inner()
        }
    };
    let check_every = Duration::from_secs(900);

    // The store starts refusing the credentials; the next scheduled check sees it.
    stores.shopify.set_mode(Mode::RefuseCredentials);
    env.clock.advance(chrono::Duration::from_std(check_every).unwrap() + chrono::Duration::seconds(1));
    let owner_token = login(&services, "owner@watched.test", crate::isolation::OWNER_PASSWORD).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let unhealthy = loop {
        let now = status(owner_token.clone()).await;
        if now.integration.as_ref().unwrap().health() == commerce::IntegrationHealth::Unhealthy {
            break now;
        }
        assert!(Instant::now() < deadline, "the integration never turned unhealthy: {now:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let integration = unhealthy.integration.unwrap();
    assert_eq!(integration.cause(), commerce::HealthCause::Unauthorized);
    assert!(integration.message.contains("refused the credentials"), "{}", integration.message);
    assert_eq!(unhealthy.history[0].trigger, "scheduled");
    assert_eq!(unhealthy.history.len(), 2, "created, then the scheduled check");

    // The event became the customer's alert, which reaches the webhook after the
    // route's group wait.
    let alert = wait_for_alert(&services, &owner_token, &owner.id, UNHEALTHY, |alert| {
        alert.labels.get("integration_id") == Some(&shop.id)
    })
    .await;
    assert!(alert.annotations["summary"].contains("refused the credentials"), "{alert:?}");
    env.clock.advance(chrono::Duration::seconds(31));
    let deadline = Instant::now() + Duration::from_secs(30);
    while hook.containing(UNHEALTHY).is_empty() {
        assert!(Instant::now() < deadline, "no store alert reached the receiver: {:?}", hook.bodies());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivered = hook.containing(UNHEALTHY)[0].to_string();
    assert!(delivered.contains(&shop.id) && delivered.contains("refused the credentials"), "{delivered}");
    assert!(!delivered.contains(SHOPIFY_TOKEN));

    // Throttled: health is kept, the history says so, and the next check waits as asked.
    stores.shopify.set_mode(Mode::RateLimit { requests: 1, retry_after: Some(7) });
    env.clock.advance(chrono::Duration::seconds(301));
    let deadline = Instant::now() + Duration::from_secs(30);
    let throttled = loop {
        let now = status(owner_token.clone()).await;
        if now.history.len() == 3 {
            break now;
        }
        assert!(Instant::now() < deadline, "no rate-limited check: {now:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(throttled.history[0].cause(), commerce::HealthCause::RateLimited);
    let integration = throttled.integration.as_ref().unwrap();
    assert_eq!(integration.health(), commerce::IntegrationHealth::Unhealthy, "health kept");
    let waited = throttled.next_check_time.unwrap().seconds - integration.last_check_time.unwrap().seconds;
    assert_eq!(waited, 7, "the next check waits for the Retry-After");

    // The store accepts again: healthy, and the alert is resolved.
    stores.shopify.set_mode(Mode::Accept);
    env.clock.advance(chrono::Duration::seconds(8));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = status(owner_token.clone()).await;
        if now.integration.as_ref().unwrap().health() == commerce::IntegrationHealth::Healthy {
            break;
        }
        assert!(Instant::now() < deadline, "the integration never recovered: {now:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The recovery resolved the alert (not time: it fires for an hour here); the next
    // flush of its group, a group interval on, tells the webhook.
    let owner_token = login(&services, "owner@watched.test", crate::isolation::OWNER_PASSWORD).await;
    wait_for_alert(&services, &owner_token, &owner.id, UNHEALTHY, |alert| {
        alert.labels.get("integration_id") == Some(&shop.id)
            && alert.state() == canopy_sdk::proto::canopy::alerts::v1::AlertState::Resolved
    })
    .await;
    env.clock.advance(chrono::Duration::minutes(6));
    let deadline = Instant::now() + Duration::from_secs(30);
    let resolved = |body: &serde_json::Value| body["data"]["notification"]["alerts"][0]["status"] == "resolved";
    while !hook.containing(UNHEALTHY).iter().any(resolved) {
        assert!(Instant::now() < deadline, "the recovery never resolved the alert: {:?}", hook.bodies());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = env.clock.now();
}
