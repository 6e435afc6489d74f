//! A world with identity and tenancy running, a platform admin signed in, an SMTP
//! sink catching every message (invitations, notification mail) and a DNS server
//! answering TXT queries.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use canopy_kit::testing::{TestEnv, TestServices};
use canopy_sdk::Canopy;
use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
use canopy_sdk::proto::canopy::identity::v1::{LoginRequest, SetPasswordWithTokenRequest, login_response};
use canopy_sdk::proto::canopy::tenancy::v1::customer_service_client::CustomerServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::{CreateCustomerRequest, Customer};
use mailparse::MailHeaderMap as _;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

pub const ADMIN_EMAIL: &str = "admin@platform.test";

pub struct World {
    pub env: TestEnv,
    pub services: TestServices,
    pub admin_token: String,
    pub mail: mpsc::UnboundedReceiver<SunkMail>,
    pub dns: TxtRecords,
    pub dns_queries: DnsQueries,
}

impl World {
    pub async fn start() -> Self {
        Self::start_configured(|_| {}).await
    }

    /// As [`World::start`], with extra configuration applied (over the sink's and
    /// DNS server's settings) before services start.
    pub async fn start_configured(configure: impl FnOnce(&mut TestEnv)) -> Self {
        let mut env = TestEnv::new().await;
        let (mail_addr, mail) = smtp_sink().await;
        let (dns_addr, dns, dns_queries) = dns_server().await;
        env.config.set_section_value(
            "tenancy",
            "mail",
            serde_json::json!({ "mode": "smtp", "smtp_addr": mail_addr.to_string(), "from_address": "no-reply@canopy.test" }),
        );
        env.config.set_section_value("tenancy", "dns_server", serde_json::json!(dns_addr.to_string()));
        env.config.set_section_value("tenancy", "customer_portal_url", serde_json::json!("https://portal.canopy.test"));
        configure(&mut env);
        let services = env.spawn(&[&canopy_identity::MANIFEST, &canopy_tenancy::MANIFEST]).await;
        let database = canopy_kit::db::Database::connect(&env.config.database).await.unwrap();
        let password = canopy_identity::ensure_platform_admin(&database, ADMIN_EMAIL)
            .await
            .expect("seed platform admin")
            .expect("a fresh database has no admin yet");
        let mut world = World { env, services, admin_token: String::new(), mail, dns, dns_queries };
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

    /// The next mail the sink receives (within 15 s).
    pub async fn next_mail(&mut self) -> SunkMail {
        tokio::time::timeout(std::time::Duration::from_secs(15), self.mail.recv())
            .await
            .expect("a mail within 15s")
            .expect("smtp sink running")
    }

    /// The link in the next mail the sink receives.
    pub async fn next_invitation_link(&mut self) -> String {
        let message = self.next_mail().await.body;
        message
            .lines()
            .find(|line| line.starts_with("https://portal.canopy.test/invitation#token="))
            .unwrap_or_else(|| panic!("no invitation link in:\n{message}"))
            .to_string()
    }
}

/// One message the sink accepted.
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
    /// The display name and address of the one `From:` mailbox, as a mail client reads it.
    pub fn sender(&self) -> (Option<String>, String) {
        let parsed = mailparse::parse_mail(self.raw.as_bytes()).expect("a parseable message");
        let header = parsed.headers.get_first_header("From").expect("a From header");
        match mailparse::addrparse_header(header).expect("a parseable From header").extract_single_info() {
            Some(single) => (single.display_name, single.addr),
            None => panic!("From is not one mailbox: {:?}", header.get_value_raw()),
        }
    }

    /// The decoded `Subject:`.
    pub fn subject(&self) -> String {
        let parsed = mailparse::parse_mail(self.raw.as_bytes()).expect("a parseable message");
        parsed.headers.get_first_value("Subject").expect("a Subject header")
    }
}

/// An SMTP server that accepts every message and hands each over.
async fn smtp_sink() -> (SocketAddr, mpsc::UnboundedReceiver<SunkMail>) {
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
                            // Hand over the body as a mail client shows it (lettre
                            // picks quoted-printable or base64 where it must).
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

/// Published TXT records: name → the records' texts (each text one record).
pub type TxtRecords = Arc<Mutex<HashMap<String, Vec<String>>>>;

/// The transport and name of every query the DNS server was asked.
pub type DnsQueries = Arc<Mutex<Vec<(&'static str, String)>>>;

/// A DNS server on one port over UDP and TCP (RFC 1035 §4.2), answering TXT queries
/// from a map, NXDOMAIN otherwise. Over UDP an answer larger than 512 bytes is
/// truncated (TC set, no answers), as a server does; over TCP it is served whole.
pub async fn dns_server() -> (SocketAddr, TxtRecords, DnsQueries) {
    // A free UDP port may be taken for TCP: try another until both are ours.
    let mut attempts = 0;
    let (socket, tcp, addr) = loop {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        match tokio::net::TcpListener::bind(addr).await {
            Ok(tcp) => break (socket, tcp, addr),
            Err(error) => {
                attempts += 1;
                assert!(attempts < 50, "no port free for both UDP and TCP: {error}");
            }
        }
    };
    let records: TxtRecords = Arc::default();
    let queries: DnsQueries = Arc::default();
    let (served, asked) = (records.clone(), queries.clone());
    tokio::spawn(async move {
        let mut buffer = [0u8; 1500];
        loop {
            let Ok((n, peer)) = socket.recv_from(&mut buffer).await else { return };
            let Some(mut answer) = dns_answer(&buffer[..n], &served, &asked, "udp") else { continue };
            if answer.len() > 512 {
                // Header only: TC=1, QD=1, AN=0, then the question.
                let question_end = 12 + dns_question_end(&answer[12..]);
                answer.truncate(question_end);
                answer[2] |= 0x02;
                answer[6..8].copy_from_slice(&[0, 0]);
            }
            let _ = socket.send_to(&answer, peer).await;
        }
    });
    let (served, asked) = (records.clone(), queries.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = tcp.accept().await else { return };
            let (served, asked) = (served.clone(), asked.clone());
            tokio::spawn(async move {
                loop {
                    let mut length = [0u8; 2];
                    if stream.read_exact(&mut length).await.is_err() {
                        return;
                    }
                    let mut query = vec![0u8; u16::from_be_bytes(length) as usize];
                    if stream.read_exact(&mut query).await.is_err() {
                        return;
                    }
                    let Some(answer) = dns_answer(&query, &served, &asked, "tcp") else { return };
                    let framed = [&(answer.len() as u16).to_be_bytes()[..], &answer].concat();
                    if stream.write_all(&framed).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, records, queries)
}

/// Length of the question's name and its type and class (no compression in questions).
fn dns_question_end(question: &[u8]) -> usize {
    let mut at = 0;
    while at < question.len() && question[at] != 0 {
        at += 1 + question[at] as usize;
    }
    at + 5
}

/// The whole answer to `query` (id, question copied; TXT records or NXDOMAIN).
fn dns_answer(query: &[u8], records: &TxtRecords, queries: &DnsQueries, transport: &'static str) -> Option<Vec<u8>> {
    if query.len() < 17 {
        return None;
    }
    let question_end = 12 + dns_question_end(&query[12..]);
    let question = query.get(12..question_end)?;
    let mut labels = Vec::new();
    let mut at = 0;
    while question[at] != 0 {
        let len = question[at] as usize;
        labels.push(String::from_utf8_lossy(&question[at + 1..at + 1 + len]).to_ascii_lowercase());
        at += 1 + len;
    }
    let name = labels.join(".");
    queries.lock().unwrap().push((transport, name.clone()));
    let texts = records.lock().unwrap().get(&name).cloned().unwrap_or_default();
    let mut answer = query[..2].to_vec();
    answer.extend_from_slice(if texts.is_empty() { &[0x81, 0x83] } else { &[0x81, 0x80] });
    answer.extend_from_slice(&[0, 1]);
    answer.extend_from_slice(&(texts.len() as u16).to_be_bytes());
    answer.extend_from_slice(&[0, 0, 0, 0]);
    answer.extend_from_slice(question);
    for text in texts {
        // One record; its text split in character-strings of at most 255 bytes.
        let rdata: Vec<u8> =
            text.as_bytes().chunks(255).flat_map(|chunk| [&[chunk.len() as u8][..], chunk].concat()).collect();
        answer.extend_from_slice(&[0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 30]);
        answer.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        answer.extend_from_slice(&rdata);
    }
    Some(answer)
}
