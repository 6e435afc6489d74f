//! A world with identity, tenancy and alerts running, a platform admin and two
//! customers (each with a signed-in owner), a publisher standing in for the services
//! that will publish events, a local HTTP receiver that checks Standard Webhooks
//! signatures with its own implementation, and an SMTP sink tenancy sends all mail to
//! (as tenancy's own tests have).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use canopy_kit::clock::Clock as _;
use canopy_kit::testing::{TestEnv, TestServices};
use canopy_sdk::Canopy;
use canopy_sdk::proto::canopy::alerts::v1 as alerts;
use canopy_sdk::proto::canopy::identity::v1 as identity;
use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
use canopy_sdk::proto::canopy::identity::v1::user_service_client::UserServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1 as tenancy;
use canopy_sdk::proto::canopy::tenancy::v1::customer_service_client::CustomerServiceClient;
use hmac::{Hmac, Mac as _};
use http_body_util::{BodyExt as _, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use mailparse::MailHeaderMap as _;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::sync::mpsc;

/// A channel carrying a bearer token.
pub type Authed = tonic::service::interceptor::InterceptedService<tonic::transport::Channel, canopy_sdk::BearerToken>;

pub const ADMIN_EMAIL: &str = "admin@alerts.test";
pub const PASSWORD: &str = "alerts are routed not shouted 7";

pub struct Customer {
    pub id: String,
    pub token: String,
}

pub struct World {
    pub env: TestEnv,
    pub services: TestServices,
    pub admin: String,
    admin_password: String,
    pub a: Customer,
    pub b: Customer,
    /// Every message tenancy sent, in order, and those received but not yet asked for.
    mail: tokio::sync::Mutex<(mpsc::UnboundedReceiver<SunkMail>, Vec<SunkMail>)>,
}

macro_rules! client {
    ($name:ident, $module:ident :: $client:ident) => {
        pub async fn $name(&self, token: &str) -> alerts::$module::$client<Authed> {
            let canopy = self.client(token).await;
            alerts::$module::$client::with_interceptor(canopy.channel(), canopy.interceptor())
        }
    };
}

impl World {
    pub async fn start() -> Self {
        Self::start_configured(|_| {}).await
    }

    pub async fn start_configured(configure: impl FnOnce(&mut TestEnv)) -> Self {
        let mut env = TestEnv::new().await;
        for (setting, value) in [
            ("dispatch_interval_ms", serde_json::json!(50)),
            ("delivery_interval_ms", serde_json::json!(50)),
            ("escalation_interval_ms", serde_json::json!(50)),
            ("allow_insecure_endpoints", serde_json::json!(true)),
            // Event alerts fire for a day, so repeats four hours on still have them.
            ("event_alert_resolve_after_secs", serde_json::json!(86_400)),
        ] {
            env.config.set_section_value("alerts", setting, value);
        }
        let (mail_addr, mail) = smtp_sink().await;
        env.config.set_section_value(
            "tenancy",
            "mail",
            serde_json::json!({ "mode": "smtp", "smtp_addr": mail_addr.to_string(), "from_address": "no-reply@canopy.test" }),
        );
        configure(&mut env);
        let services =
            env.spawn(&[&canopy_identity::MANIFEST, &canopy_tenancy::MANIFEST, &canopy_alerts::MANIFEST]).await;
        let database = canopy_kit::db::Database::connect(&env.config.database).await.unwrap();
        let password = canopy_identity::ensure_platform_admin(&database, ADMIN_EMAIL).await.unwrap().unwrap();
        let admin = login(&services, ADMIN_EMAIL, &password).await;
        let a = customer(&services, &admin, "alpha").await;
        let b = customer(&services, &admin, "bravo").await;
        World {
            env,
            services,
            admin,
            admin_password: password,
            a,
            b,
            mail: tokio::sync::Mutex::new((mail, Vec::new())),
        }
    }

    /// Signs everyone in again (after the clock jumped past their tokens' lifetime).
    pub async fn sign_in_again(&mut self) {
        self.admin = login(&self.services, ADMIN_EMAIL, &self.admin_password).await;
        self.a.token = login(&self.services, "owner@alpha.test", PASSWORD).await;
        self.b.token = login(&self.services, "owner@bravo.test", PASSWORD).await;
    }

    pub async fn client(&self, token: &str) -> Canopy {
        self.services.client("alerts", "gateway").await.with_token(token)
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.env.clock.now()
    }

    /// Moves the services' clock, then gives the jobs (every 50 ms) time to act on it.
    pub async fn advance(&self, by: chrono::Duration) {
        self.env.clock.advance(by);
        tokio::time::sleep(Duration::from_millis(400)).await;
    }

    client!(receivers, receiver_service_client::ReceiverServiceClient);
    client!(customer_receivers, customer_receiver_service_client::CustomerReceiverServiceClient);
    client!(routing, routing_service_client::RoutingServiceClient);
    client!(silences, silence_service_client::SilenceServiceClient);
    client!(alerts, alert_service_client::AlertServiceClient);
    client!(incidents, incident_service_client::IncidentServiceClient);
    client!(policies, escalation_policy_service_client::EscalationPolicyServiceClient);
    client!(on_call, on_call_service_client::OnCallServiceClient);

    /// The next mail tenancy sends to `address` (real time, within 20 s); mail to
    /// anyone else is kept for whoever asks for it.
    pub async fn next_mail_to(&self, address: &str) -> SunkMail {
        let mut mail = self.mail.lock().await;
        let (inbox, kept) = &mut *mail;
        let to = |sent: &SunkMail| sent.recipients.iter().any(|r| r == address);
        if let Some(index) = kept.iter().position(to) {
            return kept.remove(index);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let sent = tokio::time::timeout(left, inbox.recv())
                .await
                .unwrap_or_else(|_| panic!("no mail to {address} within 20 s; others: {kept:#?}"))
                .expect("smtp sink running");
            if to(&sent) {
                return sent;
            }
            kept.push(sent);
        }
    }

    /// Mail to `address` arriving within `wait`, if any.
    pub async fn mail_to_within(&self, address: &str, wait: Duration) -> Option<SunkMail> {
        tokio::time::timeout(wait, self.next_mail_to(address)).await.ok()
    }

    /// Publishes one event as the `sites` workload would, happening now.
    pub async fn publish(&self, kind: &str, customer_id: &str, severity: &str, labels: &[(&str, &str)]) {
        let canopy = self.services.client("alerts", "sites").await;
        alerts::alert_event_service_client::AlertEventServiceClient::new(canopy.channel())
            .publish_events(alerts::PublishEventsRequest {
                events: vec![alerts::Event {
                    id: uuid::Uuid::new_v4().to_string(),
                    kind: kind.into(),
                    customer_id: customer_id.into(),
                    labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                    severity: severity.into(),
                    occur_time: Some(canopy_kit::request::timestamp(self.now())),
                    summary: format!("{kind} observed"),
                    resolved: false,
                }],
            })
            .await
            .unwrap();
        // Let the dispatch job take the report in at this instant.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    /// Creates a platform webhook receiver pointing at `server`, which learns its secret.
    pub async fn webhook_receiver(&self, name: &str, server: &HttpReceiver) -> String {
        let created = self
            .receivers(&self.admin)
            .await
            .create_receiver(alerts::CreateReceiverRequest { receiver: Some(webhook_spec(name, &server.url())) })
            .await
            .unwrap()
            .into_inner();
        *server.state.secret.lock().unwrap() = created.signing_secret;
        created.receiver.unwrap().id
    }

    /// Puts a routing configuration in force.
    pub async fn route(&self, config: alerts::RoutingConfig) {
        self.routing(&self.admin)
            .await
            .replace_routing_config(alerts::ReplaceRoutingConfigRequest { config: Some(config) })
            .await
            .unwrap();
    }
}

pub fn webhook_spec(name: &str, url: &str) -> alerts::ReceiverSpec {
    alerts::ReceiverSpec {
        name: name.into(),
        kind: Some(alerts::receiver_spec::Kind::Webhook(alerts::WebhookConfig { url: url.into() })),
        send_resolved: true,
    }
}

pub fn seconds(seconds: i64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration { seconds, nanos: 0 })
}

/// The field violations of an INVALID_ARGUMENT status, as (field, description).
pub fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    use tonic_types::StatusExt as _;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| (v.field.clone(), v.description.clone())).collect())
        .unwrap_or_default()
}

pub async fn login(services: &TestServices, email: &str, password: &str) -> String {
    let canopy = services.client("identity", "gateway").await;
    match AuthServiceClient::new(canopy.channel())
        .login(identity::LoginRequest { email: email.into(), password: password.into() })
        .await
        .unwrap()
        .into_inner()
        .result
    {
        Some(identity::login_response::Result::Session(s)) => s.access_token,
        other => panic!("{other:?}"),
    }
}

async fn customer(services: &TestServices, admin: &str, name: &str) -> Customer {
    let tenancy_client = services.client("tenancy", "gateway").await.with_token(admin);
    let customer = CustomerServiceClient::with_interceptor(tenancy_client.channel(), tenancy_client.interceptor())
        .create_customer(tenancy::CreateCustomerRequest {
            idempotency_key: format!("alerts-{name}"),
            name: name.into(),
            owner_email: format!("owner@{name}.test"),
            owner_display_name: "Owner".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    let identity_client = services.client("identity", "gateway").await.with_token(admin);
    let reset = UserServiceClient::with_interceptor(identity_client.channel(), identity_client.interceptor())
        .issue_password_reset(identity::IssuePasswordResetRequest { user_id: customer.owner_user_id.clone() })
        .await
        .unwrap()
        .into_inner();
    AuthServiceClient::new(services.client("identity", "gateway").await.channel())
        .set_password_with_token(identity::SetPasswordWithTokenRequest {
            token: reset.reset_token,
            new_password: PASSWORD.into(),
        })
        .await
        .unwrap();
    let token = login(services, &format!("owner@{name}.test"), PASSWORD).await;
    Customer { id: customer.id, token }
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub webhook_id: String,
    pub signature_valid: bool,
    pub body: serde_json::Value,
    pub answered: u16,
}

/// How the receiver answers each message's first attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstAttempt {
    Accept,
    /// 503, as a receiver that is down.
    Down,
    /// 429 with `Retry-After: 120`, as Slack when rate limiting.
    RateLimited,
}

#[derive(Default)]
pub struct ReceiverState {
    pub secret: Mutex<String>,
    pub received: Mutex<Vec<Received>>,
}

/// A local HTTP server standing in for a webhook endpoint or Slack.
pub struct HttpReceiver {
    pub addr: std::net::SocketAddr,
    pub state: Arc<ReceiverState>,
}

/// The receiver's own check of a Standard Webhooks signature.
pub fn signature_valid(secret: &str, id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(key) = secret.strip_prefix("whsec_") else { return false };
    let Ok(key) = base64::engine::general_purpose::STANDARD.decode(key) else { return false };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    header.split(' ').any(|candidate| candidate == expected)
}

impl HttpReceiver {
    pub async fn start(first_attempt: FirstAttempt) -> Self {
        let state = Arc::new(ReceiverState::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                        let state = state.clone();
                        async move {
                            let header = |name: &str| {
                                request
                                    .headers()
                                    .get(name)
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or_default()
                                    .to_string()
                            };
                            let (id, timestamp, signature) =
                                (header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"));
                            let body = request.into_body().collect().await.unwrap().to_bytes();
                            let secret = state.secret.lock().unwrap().clone();
                            let valid = signature_valid(&secret, &id, &timestamp, &body, &signature);
                            let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                            let mut received = state.received.lock().unwrap();
                            // A message is known by its webhook-id, or (Slack has none) its text.
                            let key = |r: &Received| {
                                if id.is_empty() { r.body["text"] == body["text"] } else { r.webhook_id == id }
                            };
                            let first = !received.iter().any(key);
                            let (answered, retry_after) = match (first, first_attempt) {
                                (true, FirstAttempt::Down) => (503, None),
                                (true, FirstAttempt::RateLimited) => (429, Some("120")),
                                _ => (200, None),
                            };
                            received.push(Received { webhook_id: id, signature_valid: valid, body, answered });
                            let mut response = hyper::Response::builder().status(answered);
                            if let Some(seconds) = retry_after {
                                response = response.header("retry-after", seconds);
                            }
                            Ok::<_, Infallible>(response.body(Full::new(Bytes::new())).unwrap())
                        }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Self { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Every request answered 2xx, in order.
    pub fn delivered(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().iter().filter(|r| r.answered == 200).cloned().collect()
    }

    pub fn all(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits (real time) until `count` requests were answered 2xx.
    pub async fn wait_delivered(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let delivered = self.delivered();
            if delivered.len() >= count {
                return delivered;
            }
            assert!(Instant::now() < deadline, "waited for {count} deliveries, have {:#?}", self.all());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One message the SMTP sink accepted.
#[derive(Debug, Clone)]
pub struct SunkMail {
    /// The envelope recipients (`RCPT TO`).
    pub recipients: Vec<String>,
    /// The message as sent (headers and encoded body).
    pub raw: String,
    /// The body as a mail client shows it.
    pub body: String,
}

impl SunkMail {
    /// The display name of the one `From:` mailbox, as a mail client reads it.
    pub fn sender_name(&self) -> Option<String> {
        let parsed = mailparse::parse_mail(self.raw.as_bytes()).expect("a parseable message");
        let header = parsed.headers.get_first_header("From").expect("a From header");
        let single = mailparse::addrparse_header(header).expect("a parseable From header").extract_single_info();
        single.unwrap_or_else(|| panic!("From is not one mailbox: {:?}", header.get_value_raw())).display_name
    }

    /// The decoded `Subject:`.
    pub fn subject(&self) -> String {
        let parsed = mailparse::parse_mail(self.raw.as_bytes()).expect("a parseable message");
        parsed.headers.get_first_value("Subject").expect("a Subject header")
    }
}

/// An SMTP server that accepts every message and hands each over (tenancy's test
/// sink, also keeping the envelope recipients).
async fn smtp_sink() -> (std::net::SocketAddr, mpsc::UnboundedReceiver<SunkMail>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut data: Option<String> = None;
                let mut recipients = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            let raw = std::mem::take(body).replace('\n', "\r\n");
                            let parsed = mailparse::parse_mail(raw.as_bytes()).expect("a parseable message");
                            let body = parsed.get_body().expect("a decodable body");
                            let _ = tx.send(SunkMail { recipients: std::mem::take(&mut recipients), raw, body });
                            data = None;
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else {
                            body.push_str(line.strip_prefix('.').unwrap_or(&line));
                            body.push('\n');
                        }
                        continue;
                    }
                    let reply: &[u8] = match line.split(' ').next().unwrap_or("").to_ascii_uppercase().as_str() {
                        "EHLO" | "HELO" => b"250-sink\r\n250 8BITMIME\r\n",
                        "RCPT" => {
                            // `RCPT TO:<address>`
                            let address = line.split_once('<').and_then(|(_, rest)| rest.split_once('>'));
                            recipients.extend(address.map(|(address, _)| address.to_string()));
                            b"250 ok\r\n"
                        }
                        "MAIL" => b"250 ok\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"502 not implemented\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (addr, rx)
}

/// The alert names of a delivered notification's alerts, with their status.
pub fn notified(received: &Received) -> Vec<(String, String)> {
    let mut alerts: Vec<(String, String)> = received.body["data"]["notification"]["alerts"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|a| {
            (
                a["alert"]["labels"]["alertname"].as_str().unwrap_or_default().to_string(),
                a["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    alerts.sort();
    alerts
}
