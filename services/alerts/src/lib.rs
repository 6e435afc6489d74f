//! The alerts service: Canopy events and the operator's rules over them become
//! alerts, routed, grouped, silenced and inhibited as Alertmanager does, delivered to
//! Slack, signed webhooks and email, and paged through escalation policies and
//! on-call schedules (by email to the people they name) until someone acknowledges.
//!
//! Reading order: this file (configuration, wiring, the jobs) → [`api`] (handlers,
//! and the proto → engine conversions in `api::convert`) → [`engine`] (the pure
//! alerting model) → [`dispatch`], [`delivery`] and [`paging`] (what the jobs do) →
//! [`store`] (SQL). [`link`] signs the acknowledgement links pages carry; [`email`]
//! renders mail and hands it to tenancy (addresses of people from identity).
//!
//! Events arrive through `AlertEventService.PublishEvents` from the services that
//! observe them; see the README for what a publisher sends.

pub mod api;
pub mod delivery;
pub mod dispatch;
pub mod email;
pub mod engine;
pub mod link;
pub mod paging;
pub mod store;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use canopy_kit::clock::SharedClock;
use canopy_kit::db::Database;
use canopy_kit::manifest::{Built, Job, Scaling, Schema, ServiceManifest};
use canopy_kit::server::ServiceContext;
use canopy_sdk::proto::canopy::alerts::v1 as proto;
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sqlx::migrate::Migrator;
use tonic::service::Routes;

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/alerts");

/// How canopyd, the generators and tests know the service.
pub const MANIFEST: ServiceManifest = ServiceManifest {
    name: "alerts",
    schema: Some(Schema { name: "alerts", migrator: &MIGRATIONS }),
    // Email receivers and pages to people are mailed through tenancy's outbox; a
    // person's address comes from identity.
    calls: &["canopy.tenancy.v1.NotificationMailService", "canopy.identity.v1.UserContactService"],
    after: &[],
    jobs: &["dispatch", "deliveries", "escalations"],
    build,
    dev_seed: None,
    scaling: Scaling::API,
    seals_secrets: false,
};

/// `[services.alerts]` settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Accept `http://` webhook URLs and Slack URLs on any host (dev and tests only).
    pub allow_insecure_endpoints: bool,
    /// How long one delivery may take.
    pub delivery_timeout_secs: f64,
    /// How often due deliveries are looked for.
    pub delivery_interval_ms: u64,
    /// How often the dispatchers take in new alerts and flush due groups.
    pub dispatch_interval_ms: u64,
    /// How often incidents are looked at for due escalation steps.
    pub escalation_interval_ms: u64,
    /// How long an alert made from an event fires without being reported again
    /// (Alertmanager's `resolve_timeout`, 5 minutes, is the default).
    pub event_alert_resolve_after_secs: u64,
    /// The page acknowledgement links point at this URL, with `?token=…` appended.
    pub acknowledge_link_base_url: String,
    /// How long an acknowledgement link works.
    pub acknowledge_link_lifetime_secs: u64,
    /// The HMAC key (base64 of 32 bytes) signing acknowledgement links; created,
    /// readable by the owner only, when missing. Empty: `<mesh.pki_dir>/alerts-link.key`.
    pub link_signing_key_file: String,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            allow_insecure_endpoints: false,
            delivery_timeout_secs: 10.0,
            delivery_interval_ms: 1000,
            dispatch_interval_ms: 1000,
            escalation_interval_ms: 1000,
            event_alert_resolve_after_secs: 300,
            acknowledge_link_base_url: "https://console.canopy.localhost/alerts/acknowledge".into(),
            acknowledge_link_lifetime_secs: 24 * 3600,
            link_signing_key_file: String::new(),
        }
    }
}

/// State the handlers and jobs share.
pub struct Alerts {
    pub database: Database,
    pub config: AlertsConfig,
    pub clock: SharedClock,
    pub link_key: link::LinkKey,
    pub http: canopy_kit::http::HttpClient,
    /// Tenancy (mail) and identity (people's addresses).
    pub peers: canopy_kit::peers::Peers,
}

fn build(context: ServiceContext) -> BoxFuture<'static, anyhow::Result<Built>> {
    async move {
        let config: AlertsConfig = context.config.section("alerts")?;
        anyhow::ensure!(
            config.delivery_timeout_secs > 0.0,
            "services.alerts.delivery_timeout_secs: must be more than 0"
        );
        anyhow::ensure!(
            config.acknowledge_link_lifetime_secs > 0,
            "services.alerts.acknowledge_link_lifetime_secs: must be more than 0"
        );
        let key_file = if config.link_signing_key_file.is_empty() {
            context.config.mesh.pki_dir.join("alerts-link.key")
        } else {
            PathBuf::from(&config.link_signing_key_file)
        };
        let link_key = link::LinkKey::load_or_create(&key_file)
            .with_context(|| format!("services.alerts.link_signing_key_file: {}", key_file.display()))?;
        let database = context.database.clone().ok_or_else(|| anyhow::anyhow!("alerts needs its database"))?;
        let http = canopy_kit::http::HttpClient::new(Duration::from_secs_f64(config.delivery_timeout_secs));
        let alerts = Arc::new(Alerts {
            database,
            config,
            clock: context.clock.clone(),
            link_key,
            http,
            peers: context.peers.clone(),
        });

        let dispatch = Job::new("dispatch", {
            let alerts = alerts.clone();
            move |stop| async move {
                let every = Duration::from_millis(alerts.config.dispatch_interval_ms.max(10));
                stop.run_until_cancelled(every_interval(every, || dispatch::dispatch_pass(&alerts), "dispatch")).await;
            }
        });
        let deliveries = Job::new("deliveries", {
            let alerts = alerts.clone();
            move |stop| async move {
                let every = Duration::from_millis(alerts.config.delivery_interval_ms.max(10));
                stop.run_until_cancelled(every_interval(every, || delivery::deliver_due(&alerts), "delivery")).await;
            }
        });
        let escalations = Job::new("escalations", {
            let alerts = alerts.clone();
            move |stop| async move {
                let every = Duration::from_millis(alerts.config.escalation_interval_ms.max(10));
                stop.run_until_cancelled(every_interval(every, || paging::escalate_due(&alerts), "escalation")).await;
            }
        });
        use proto::alert_event_service_server::AlertEventServiceServer;
        use proto::alert_service_server::AlertServiceServer;
        use proto::customer_receiver_service_server::CustomerReceiverServiceServer;
        use proto::escalation_policy_service_server::EscalationPolicyServiceServer;
        use proto::event_rule_service_server::EventRuleServiceServer;
        use proto::incident_service_server::IncidentServiceServer;
        use proto::on_call_service_server::OnCallServiceServer;
        use proto::receiver_service_server::ReceiverServiceServer;
        use proto::routing_service_server::RoutingServiceServer;
        use proto::silence_service_server::SilenceServiceServer;
        let routes = Routes::builder()
            .routes()
            .add_service(ReceiverServiceServer::from_arc(Arc::new(api::ReceiverApi(alerts.clone()))))
            .add_service(CustomerReceiverServiceServer::from_arc(Arc::new(api::CustomerReceiverApi(alerts.clone()))))
            .add_service(RoutingServiceServer::from_arc(Arc::new(api::RoutingApi(alerts.clone()))))
            .add_service(SilenceServiceServer::from_arc(Arc::new(api::SilenceApi(alerts.clone()))))
            .add_service(AlertServiceServer::from_arc(Arc::new(api::AlertApi(alerts.clone()))))
            .add_service(IncidentServiceServer::from_arc(Arc::new(api::IncidentApi(alerts.clone()))))
            .add_service(EscalationPolicyServiceServer::from_arc(Arc::new(api::EscalationPolicyApi(alerts.clone()))))
            .add_service(OnCallServiceServer::from_arc(Arc::new(api::OnCallApi(alerts.clone()))))
            .add_service(EventRuleServiceServer::from_arc(Arc::new(api::EventRuleApi(alerts.clone()))))
            .add_service(AlertEventServiceServer::from_arc(Arc::new(api::AlertEventApi(alerts))));
        Ok(Built { routes, jobs: vec![dispatch, deliveries, escalations] })
    }
    .boxed()
}

/// Runs `pass` every `every`, logging failures.
async fn every_interval<F, Fut, T>(every: Duration, mut pass: F, what: &'static str)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = pass().await {
            tracing::warn!(error = format!("{error:#}"), "{what} pass failed");
        }
    }
}
