//! The tenancy service: customers (tenants), white-label branding, plans and quotas.
//!
//! Reading order: this file (configuration, wiring, the mail outbox sender) →
//! [`api`] (handlers) → [`domain`] (rules, no I/O) → [`store`] (SQL).
//! [`mail`] and [`dns`] are the two outbound clients (owner invitations and other
//! services' notification mail, domain verification), each pointed at a configurable
//! server.

pub mod api;
pub mod dns;
pub mod domain;
pub mod mail;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use canopy_kit::auth::Authenticator;
use canopy_kit::clock::SharedClock;
use canopy_kit::db::{Database, Scope};
use canopy_kit::manifest::{Built, Job, Scaling, Schema, ServiceManifest};
use canopy_kit::peers::Peers;
use canopy_kit::server::ServiceContext;
use canopy_sdk::proto::canopy::tenancy::v1::branding_service_server::BrandingServiceServer;
use canopy_sdk::proto::canopy::tenancy::v1::customer_service_server::CustomerServiceServer;
use canopy_sdk::proto::canopy::tenancy::v1::notification_mail_service_server::NotificationMailServiceServer;
use canopy_sdk::proto::canopy::tenancy::v1::plan_service_server::PlanServiceServer;
use canopy_sdk::proto::canopy::tenancy::v1::quota_service_server::QuotaServiceServer;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sqlx::migrate::Migrator;
use tokio::sync::Notify;
use tonic::service::Routes;

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/tenancy");

/// How canopyd, the generators and tests know the service.
pub const MANIFEST: ServiceManifest = ServiceManifest {
    name: "tenancy",
    schema: Some(Schema { name: "tenancy", migrator: &MIGRATIONS }),
    // The owner of a new customer is invited through identity; suspensions are
    // published as events for alerting.
    calls: &["canopy.identity.v1.UserService", canopy_kit::events::EVENT_SINK],
    after: &[],
    jobs: &["mail"],
    build,
    dev_seed: None,
    scaling: Scaling::API,
    seals_secrets: false,
};

/// `[services.tenancy]` settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TenancyConfig {
    /// Base URL of the customer portal; invitation links point at
    /// `<customer_portal_url>/invitation#token=…` (a fragment, so the token never
    /// reaches a server log).
    pub customer_portal_url: String,
    /// Outgoing mail.
    pub mail: mail::MailConfig,
    /// DNS server for domain verification, `ip:port` (UDP, and TCP for truncated
    /// answers); empty uses the nameservers of /etc/resolv.conf.
    pub dns_server: String,
    /// Whether a suspended customer's users may still read (false: nothing at all).
    pub read_only_when_suspended: bool,
    /// Branding for domains that are not a customer's verified domain; the colours
    /// must pass the same contrast checks as a customer's (tenancy refuses to start
    /// otherwise).
    pub default_product_name: String,
    pub default_primary_color: String,
    pub default_secondary_color: String,
    pub default_accent_color: String,
}

impl TenancyConfig {
    /// The default branding's colours that fail the contrast checks a customer's
    /// colours get, as `field: why`.
    pub fn default_branding_problems(&self) -> Vec<String> {
        use domain::branding::{ColourUse, colour};
        let mut violations = Vec::new();
        colour("default_primary_color", &self.default_primary_color, ColourUse::Primary, &mut violations);
        colour("default_secondary_color", &self.default_secondary_color, ColourUse::Secondary, &mut violations);
        colour("default_accent_color", &self.default_accent_color, ColourUse::Accent, &mut violations);
        violations.into_iter().map(|v| format!("{}: {}", v.field, v.description)).collect()
    }
}

impl Default for TenancyConfig {
    fn default() -> Self {
        Self {
            customer_portal_url: "http://localhost:8080".into(),
            mail: mail::MailConfig::default(),
            dns_server: String::new(),
            read_only_when_suspended: true,
            default_product_name: "Canopy".into(),
            default_primary_color: "#1a56db".into(),
            // Both pass the checks operators' colours get (`default_branding_problems`):
            // white text on #057a55 reaches 5.36:1, the #c2410c focus ring 4.81:1.
            default_secondary_color: "#057a55".into(),
            default_accent_color: "#c2410c".into(),
        }
    }
}

/// State the handlers share.
pub struct Tenancy {
    pub database: Database,
    pub peers: Peers,
    pub config: TenancyConfig,
    pub auth: Arc<Authenticator>,
    pub clock: SharedClock,
    /// Looks up domain-verification TXT records.
    pub dns: dns::TxtResolver,
    /// Sends the outbox, as `config.mail` says.
    pub mailer: mail::Mailer,
    /// Wakes the mail job (a customer was just created, a notification queued).
    pub mail_due: Notify,
}

fn build(context: ServiceContext) -> BoxFuture<'static, anyhow::Result<Built>> {
    async move {
        let config: TenancyConfig = context.config.section("tenancy")?;
        // Every portal on a domain no customer verified shows these colours.
        let problems = config.default_branding_problems();
        anyhow::ensure!(problems.is_empty(), "services.tenancy: {}", problems.join("; "));
        let dns = if config.dns_server.is_empty() {
            // As before hickory: without a usable resolv.conf, the systemd-resolved stub.
            dns::TxtResolver::from_system().or_else(|error| {
                tracing::warn!(error = %error, "no usable resolv.conf; asking 127.0.0.53:53");
                dns::TxtResolver::with_server(std::net::SocketAddr::from(([127, 0, 0, 53], 53)))
            })?
        } else {
            let server = config
                .dns_server
                .parse()
                .map_err(|_| anyhow::anyhow!("services.tenancy.dns_server: {:?} is not ip:port", config.dns_server))?;
            dns::TxtResolver::with_server(server)?
        };
        let mailer = mail::Mailer::from_config(&config.mail)?;
        let database = context.database.clone().ok_or_else(|| anyhow::anyhow!("tenancy needs its database"))?;
        let tenancy = Arc::new(Tenancy {
            database,
            peers: context.peers.clone(),
            config,
            auth: context.auth.clone(),
            clock: context.clock.clone(),
            dns,
            mailer,
            mail_due: Notify::new(),
        });
        let mail = Job::new("mail", {
            let tenancy = tenancy.clone();
            move |stop| async move { stop.run_until_cancelled(send_mail_forever(tenancy)).await.unwrap_or(()) }
        });
        let routes = Routes::builder()
            .routes()
            .add_service(CustomerServiceServer::from_arc(Arc::new(api::CustomersApi(tenancy.clone()))))
            .add_service(BrandingServiceServer::from_arc(Arc::new(api::BrandingApi(tenancy.clone()))))
            .add_service(PlanServiceServer::from_arc(Arc::new(api::PlansApi(tenancy.clone()))))
            .add_service(NotificationMailServiceServer::from_arc(Arc::new(api::NotificationMailApi(tenancy.clone()))))
            .add_service(QuotaServiceServer::from_arc(Arc::new(api::QuotaApi(tenancy))));
        Ok(Built { routes, jobs: vec![mail] })
    }
    .boxed()
}

/// Delivers queued mail: right after a customer is created or a notification is
/// queued, and every few seconds for retries. Claims rows with SKIP LOCKED, so several replicas never double-send.
async fn send_mail_forever(tenancy: Arc<Tenancy>) {
    loop {
        if let Err(error) = send_due_mail(&tenancy).await {
            tracing::warn!(error = %error, "mail outbox pass failed");
        }
        tokio::select! {
            _ = tenancy.mail_due.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

/// One pass over due mail. Sending happens inside the claiming transaction, so a
/// crash mid-send leaves the row due again (at-least-once delivery).
pub async fn send_due_mail(tenancy: &Tenancy) -> Result<usize, sqlx::Error> {
    // A system operation across tenants: the outbox is drained for everyone.
    let mut tx = tenancy.database.begin(Scope::Platform).await?;
    let due = store::claim_due_emails(&mut tx, 20).await?;
    let count = due.len();
    for email in &due {
        // Platform mail (no customer) goes out under the default product name.
        let branding = match email.tenant_id {
            Some(tenant_id) => store::branding(&mut tx, tenant_id).await?,
            None => None,
        };
        let sender_name = branding
            .map(|b| if b.mail_sender_name.is_empty() { b.product_name } else { b.mail_sender_name })
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| tenancy.config.default_product_name.clone());
        let message = mail::Message {
            to: email.recipient.clone(),
            sender_name,
            subject: email.subject.clone(),
            body: email.body.clone(),
        };
        let outcome = tenancy.mailer.send(&message).await;
        if let Err(error) = &outcome {
            tracing::warn!(email_id = %email.id, error = %error, "mail not delivered; will retry");
        }
        store::mark_email(&mut tx, email, outcome.err().map(|e| e.to_string()).as_deref()).await?;
    }
    tx.commit().await?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::TenancyConfig;

    #[test]
    fn the_built_in_default_branding_passes_the_checks_a_customers_branding_gets() {
        assert_eq!(TenancyConfig::default().default_branding_problems(), Vec::<String>::new());
    }

    #[test]
    fn a_default_branding_that_fails_them_is_named() {
        // The former defaults: white on #0e9f6e is 3.39:1, the #ff5a1f ring 2.90:1 on the canvas.
        let config = TenancyConfig {
            default_secondary_color: "#0e9f6e".into(),
            default_accent_color: "#ff5a1f".into(),
            ..TenancyConfig::default()
        };
        let problems = config.default_branding_problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("default_secondary_color: white text on this colour reaches contrast 3.39:1"));
        assert!(problems[1].starts_with("default_accent_color: as the focus ring this colour reaches contrast 2.90:1"));
    }
}
