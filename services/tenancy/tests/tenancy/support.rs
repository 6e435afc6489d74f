//! A world with identity and tenancy running, a platform admin signed in, an SMTP
//! sink catching invitations and a DNS server answering TXT queries.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use canopy_kit::testing::{TestEnv, TestServices};
use canopy_sdk::Canopy;
use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
use canopy_sdk::proto::canopy::identity::v1::{LoginRequest, SetPasswordWithTokenRequest, login_response};
use canopy_sdk::proto::canopy::tenancy::v1::customer_service_client::CustomerServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::{CreateCustomerRequest, Customer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

pub const ADMIN_EMAIL: &str = "admin@platform.test";

pub struct World {
    pub env: TestEnv,
    pub services: TestServices,
    pub admin_token: String,
    pub mail: mpsc::UnboundedReceiver<String>,
    pub dns: Arc<Mutex<HashMap<String, String>>>,
}

impl World {
    pub async fn start() -> Self {
        Self::start_configured(|_| {}).await
    }

    /// As [`World::start`], with extra configuration applied before services start.
    pub async fn start_configured(configure: impl FnOnce(&mut TestEnv)) -> Self {
        let mut env = TestEnv::new().await;
        configure(&mut env);
        let (mail_addr, mail) = smtp_sink().await;
        let (dns_addr, dns) = dns_server().await;
        env.config.set_section_value(
            "tenancy",
            "mail",
            serde_json::json!({ "mode": "smtp", "smtp_addr": mail_addr.to_string(), "from_address": "no-reply@canopy.test" }),
        );
        env.config.set_section_value("tenancy", "dns_server", serde_json::json!(dns_addr.to_string()));
        env.config.set_section_value("tenancy", "customer_portal_url", serde_json::json!("https://portal.canopy.test"));
        let services = env.spawn(&[&canopy_identity::MANIFEST, &canopy_tenancy::MANIFEST]).await;
        let database = canopy_kit::db::Database::connect(&env.config.database).await.unwrap();
        let password = canopy_identity::ensure_platform_admin(&database, ADMIN_EMAIL)
            .await
            .expect("seed platform admin")
            .expect("a fresh database has no admin yet");
        let mut world = World { env, services, admin_token: String::new(), mail, dns };
        world.admin_token = world.login(ADMIN_EMAIL, &password).await;
        world
    }

    /// A client through the mesh as the gateway would call, with `token`.
    pub async fn client(&self, service: &str, token: &str) -> Canopy {
        self.services.client(service, "gateway").await.with_token(token)
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self.try_login(email, password).await.unwrap_or_else(|e| panic!("login {email}: {e:?}"));
        match response.result {
            Some(login_response::Result::Session(session)) => session.access_token,
            other => panic!("expected a session, got {other:?}"),
        }
    }

    pub async fn try_login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<canopy_sdk::proto::canopy::identity::v1::LoginResponse, tonic::Status> {
        let canopy = self.services.client("identity", "gateway").await;
        AuthServiceClient::new(canopy.channel())
            .login(LoginRequest { email: email.into(), password: password.into() })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Creates a customer and returns it with the token its owner gets after
    /// following the mailed invitation link.
    pub async fn customer_with_owner(&mut self, name: &str, owner_email: &str) -> (Customer, String) {
        let customer = self.create_customer(name, owner_email).await;
        let link = self.next_invitation_link().await;
        let token = link.split("#token=").nth(1).expect("link carries a token").trim().to_string();
        let password = "correct horse battery staple 42";
        let canopy = self.services.client("identity", "gateway").await;
        AuthServiceClient::new(canopy.channel())
            .set_password_with_token(SetPasswordWithTokenRequest { token, new_password: password.into() })
            .await
            .expect("invitation link sets a password");
        let owner_token = self.login(owner_email, password).await;
        (customer, owner_token)
    }

    pub async fn create_customer(&self, name: &str, owner_email: &str) -> Customer {
        let canopy = self.client("tenancy", &self.admin_token).await;
        CustomerServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
            .create_customer(CreateCustomerRequest {
                idempotency_key: format!("create-{}", uuid::Uuid::new_v4()),
                name: name.into(),
                plan_id: String::new(),
                owner_email: owner_email.into(),
                owner_display_name: "Owner".into(),
            })
            .await
            .unwrap_or_else(|e| panic!("create customer {name}: {e:?}"))
            .into_inner()
            .customer
            .unwrap()
    }

    /// The link in the next mail the sink receives.
    pub async fn next_invitation_link(&mut self) -> String {
        let message = tokio::time::timeout(std::time::Duration::from_secs(15), self.mail.recv())
            .await
            .expect("an invitation mail within 15s")
            .expect("smtp sink running");
        message
            .lines()
            .find(|line| line.starts_with("https://portal.canopy.test/invitation#token="))
            .unwrap_or_else(|| panic!("no invitation link in:\n{message}"))
            .to_string()
    }
}

/// An SMTP server that accepts every message and hands each DATA section over.
async fn smtp_sink() -> (SocketAddr, mpsc::UnboundedReceiver<String>) {
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
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            let _ = tx.send(std::mem::take(body));
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
                        "MAIL" | "RCPT" => b"250 ok\r\n",
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

/// A DNS server answering TXT queries from a map (name → text), NXDOMAIN otherwise.
async fn dns_server() -> (SocketAddr, Arc<Mutex<HashMap<String, String>>>) {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let records: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let served = records.clone();
    tokio::spawn(async move {
        let mut buffer = [0u8; 512];
        loop {
            let Ok((n, peer)) = socket.recv_from(&mut buffer).await else { return };
            let query = &buffer[..n];
            // Parse the question name.
            let mut labels = Vec::new();
            let mut at = 12;
            while at < n && query[at] != 0 {
                let len = query[at] as usize;
                labels.push(String::from_utf8_lossy(&query[at + 1..at + 1 + len]).to_string());
                at += 1 + len;
            }
            let question_end = at + 5;
            let name = labels.join(".");
            let text = served.lock().unwrap().get(&name).cloned();
            let mut answer = query[..2].to_vec();
            answer.extend_from_slice(if text.is_some() { &[0x81, 0x80] } else { &[0x81, 0x83] });
            answer.extend_from_slice(&[0, 1, 0, u8::from(text.is_some()), 0, 0, 0, 0]);
            answer.extend_from_slice(&query[12..question_end]);
            if let Some(text) = text {
                answer.extend_from_slice(&[0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 30]);
                answer.extend_from_slice(&((text.len() + 1) as u16).to_be_bytes());
                answer.push(text.len() as u8);
                answer.extend_from_slice(text.as_bytes());
            }
            let _ = socket.send_to(&answer, peer).await;
        }
    });
    (addr, records)
}
