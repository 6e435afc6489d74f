//! Outgoing mail through a local SMTP submission server (written here over tokio and
//! rustls, with a throwaway CA): STARTTLS before AUTH, the credentials, one correctly
//! encoded `From:` mailbox per tenant sender name, and a refused AUTH leaving the
//! outbox row due.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use canopy_tenancy::mail::{MailConfig, MailMode, Mailer, Message, SmtpPassword, SmtpTls};
use mailparse::{MailAddr, MailHeaderMap};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

use crate::support::World;

const USERNAME: &str = "canopy-mailer";
const PASSWORD: &str = "s3cret relay pass";

/// What one SMTP connection did.
#[derive(Debug, Default)]
struct Session {
    /// Each command's verb, and whether it came over TLS.
    commands: Vec<(String, bool)>,
    /// AUTH user name and password as received, whether accepted or not.
    credentials: Option<(String, String)>,
    /// The DATA section, dot-stuffing undone, CRLF line ends.
    message: Option<String>,
}

impl Session {
    fn verbs(&self) -> Vec<&str> {
        self.commands.iter().map(|(verb, _)| verb.as_str()).collect()
    }
}

/// A submission server with STARTTLS and AUTH PLAIN/LOGIN that accepts `password`
/// for [`USERNAME`]; returns its address, the CA file clients must trust, and each
/// finished session.
struct SmtpServer {
    addr: std::net::SocketAddr,
    ca_file: tempfile::NamedTempFile,
    sessions: mpsc::UnboundedReceiver<Session>,
}

impl SmtpServer {
    async fn start(password: &'static str) -> Self {
        Self::start_with(password, false).await
    }

    /// With `implicit_tls`, TLS from the first byte (port 465 style) instead of STARTTLS.
    async fn start_with(password: &'static str, implicit_tls: bool) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "canopy test mail CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let server_key = KeyPair::generate().unwrap();
        let server_params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        let ca_file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(ca_file.path(), ca.pem()).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();

        let tls = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(server_cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
            )
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(tls));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, sessions) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    let mut session = Session::default();
                    if implicit_tls {
                        if let Ok(mut tls) = acceptor.accept(stream).await
                            && tls.write_all(b"220 mail.canopy.test ESMTP\r\n").await.is_ok()
                        {
                            converse(tls, true, password, &mut session).await;
                        }
                    } else {
                        serve(stream, acceptor, password, &mut session).await;
                    }
                    let _ = tx.send(session);
                });
            }
        });
        SmtpServer { addr, ca_file, sessions }
    }

    fn config(&self) -> MailConfig {
        MailConfig {
            mode: MailMode::Smtp,
            smtp_addr: self.addr.to_string(),
            tls: SmtpTls::Starttls,
            username: USERNAME.into(),
            password: SmtpPassword::new(PASSWORD),
            ca_file: self.ca_file.path().to_string_lossy().into_owned(),
            from_address: "no-reply@canopy.test".into(),
            helo_name: "canopy.test".into(),
        }
    }

    /// [`SmtpServer::config`] as configuration values (the password written out,
    /// since serialising the settings masks it).
    fn config_json(&self) -> serde_json::Value {
        let mut config = serde_json::to_value(self.config()).unwrap();
        config["password"] = serde_json::json!(PASSWORD);
        config
    }

    async fn next_session(&mut self) -> Session {
        tokio::time::timeout(Duration::from_secs(15), self.sessions.recv())
            .await
            .expect("an SMTP session within 15s")
            .expect("smtp server running")
    }
}

async fn serve(stream: TcpStream, acceptor: TlsAcceptor, password: &str, session: &mut Session) {
    let mut stream = stream;
    if stream.write_all(b"220 mail.canopy.test ESMTP\r\n").await.is_err() {
        return;
    }
    let Some(plain) = converse(stream, false, password, session).await else { return };
    stream = plain;
    let Ok(tls) = acceptor.accept(stream).await else { return };
    converse(tls, true, password, session).await;
}

/// Speaks SMTP on `stream` until QUIT or close; hands the stream back when the
/// client asked for STARTTLS (and was told to go ahead).
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    secure: bool,
    password: &str,
    session: &mut Session,
) -> Option<S> {
    let mut stream = BufReader::new(stream);
    let mut line = String::new();
    let mut read_line = async |stream: &mut BufReader<S>| -> Option<String> {
        line.clear();
        match stream.read_line(&mut line).await {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_string()),
        }
    };
    while let Some(command) = read_line(&mut stream).await {
        let verb = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
        session.commands.push((verb.clone(), secure));
        let reply: String = match verb.as_str() {
            "EHLO" if secure => "250-mail.canopy.test\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n".into(),
            // AUTH is offered in plain text too, so a client that skipped the
            // upgrade would show up in the session instead of failing quietly.
            "EHLO" => "250-mail.canopy.test\r\n250-8BITMIME\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n".into(),
            "STARTTLS" if !secure => {
                stream.write_all(b"220 2.0.0 ready to start TLS\r\n").await.ok()?;
                return Some(stream.into_inner());
            }
            "AUTH" => {
                let mut words = command.split(' ').skip(1);
                let (user, pass) = match words.next().map(str::to_ascii_uppercase).as_deref() {
                    Some("PLAIN") => {
                        let initial = match words.next() {
                            Some(initial) => initial.to_string(),
                            None => {
                                stream.write_all(b"334 \r\n").await.ok()?;
                                read_line(&mut stream).await?
                            }
                        };
                        let decoded = BASE64.decode(initial.trim()).unwrap_or_default();
                        let parts: Vec<String> =
                            decoded.split(|b| *b == 0).map(|p| String::from_utf8_lossy(p).into_owned()).collect();
                        (parts.get(1).cloned().unwrap_or_default(), parts.get(2).cloned().unwrap_or_default())
                    }
                    Some("LOGIN") => {
                        stream.write_all(b"334 VXNlcm5hbWU6\r\n").await.ok()?;
                        let user = read_line(&mut stream).await?;
                        stream.write_all(b"334 UGFzc3dvcmQ6\r\n").await.ok()?;
                        let pass = read_line(&mut stream).await?;
                        let decode = |s: &str| {
                            String::from_utf8_lossy(&BASE64.decode(s.trim()).unwrap_or_default()).into_owned()
                        };
                        (decode(&user), decode(&pass))
                    }
                    _ => {
                        stream.write_all(b"504 5.5.4 unrecognized authentication type\r\n").await.ok()?;
                        continue;
                    }
                };
                let accepted = user == USERNAME && pass == password;
                session.credentials = Some((user, pass));
                if accepted {
                    "235 2.7.0 authentication successful\r\n".into()
                } else {
                    "535 5.7.8 authentication credentials invalid\r\n".into()
                }
            }
            "MAIL" | "RCPT" => "250 2.1.0 ok\r\n".into(),
            "DATA" => {
                stream.write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n").await.ok()?;
                let mut message = String::new();
                loop {
                    let line = read_line(&mut stream).await?;
                    if line == "." {
                        break;
                    }
                    message.push_str(line.strip_prefix('.').unwrap_or(&line));
                    message.push_str("\r\n");
                }
                session.message = Some(message);
                "250 2.0.0 queued\r\n".into()
            }
            "RSET" | "NOOP" => "250 2.0.0 ok\r\n".into(),
            "QUIT" => {
                let _ = stream.write_all(b"221 2.0.0 bye\r\n").await;
                return None;
            }
            _ => "502 5.5.2 command not recognized\r\n".into(),
        };
        stream.write_all(reply.as_bytes()).await.ok()?;
    }
    None
}

/// The one mailbox of the `From:` header, as an independent parser reads it.
fn sole_sender(message: &str) -> (Option<String>, String) {
    let parsed = mailparse::parse_mail(message.as_bytes()).expect("a parseable message");
    let header = parsed.headers.get_first_header("From").expect("a From header");
    let addresses = mailparse::addrparse_header(header).expect("a parseable From header");
    assert_eq!(addresses.len(), 1, "exactly one mailbox in From: {:?}", header.get_value_raw());
    match &addresses[0] {
        MailAddr::Single(single) => (single.display_name.clone(), single.addr.clone()),
        MailAddr::Group(group) => panic!("From is a group: {group:?}"),
    }
}

fn assert_upgraded_before_auth(session: &Session) {
    let verbs = session.verbs();
    let starttls = verbs.iter().position(|v| *v == "STARTTLS").expect("the client sent STARTTLS");
    let auth = verbs.iter().position(|v| *v == "AUTH").expect("the client authenticated");
    assert!(starttls < auth, "STARTTLS must come before AUTH: {verbs:?}");
    assert!(
        session.commands.iter().filter(|(verb, _)| verb != "EHLO" && verb != "STARTTLS").all(|(_, secure)| *secure),
        "everything after the greeting must go over TLS: {:?}",
        session.commands
    );
}

#[tokio::test]
async fn mail_upgrades_with_starttls_authenticates_and_encodes_the_sender_name_as_one_mailbox() {
    let mut server = SmtpServer::start(PASSWORD).await;
    let mailer = Mailer::from_config(&server.config()).expect("valid mail settings");
    let subject = "Willkommen bei Ünïcødé — your invitation";
    for sender_name in ["Acme, Inc.", "Zoë \"Z\" Ltd", "Ünïcødé GmbH"] {
        mailer
            .send(&Message {
                to: "owner@customer.test".into(),
                sender_name: sender_name.into(),
                subject: subject.into(),
                body: "Follow the link.\n.leading dot survives\n".into(),
            })
            .await
            .unwrap_or_else(|e| panic!("sending as {sender_name:?}: {e}"));
        let session = server.next_session().await;
        assert_upgraded_before_auth(&session);
        assert_eq!(session.credentials, Some((USERNAME.to_string(), PASSWORD.to_string())));
        let message = session.message.expect("a DATA section");
        assert!(message.is_ascii(), "headers and body must be 7-bit on the wire:\n{message}");

        let (display_name, address) = sole_sender(&message);
        assert_eq!(address, "no-reply@canopy.test");
        assert_eq!(display_name.as_deref(), Some(sender_name), "From as sent:\n{message}");

        let parsed = mailparse::parse_mail(message.as_bytes()).unwrap();
        let subject_header = parsed.headers.get_first_header("Subject").unwrap();
        assert!(
            String::from_utf8_lossy(subject_header.get_value_raw()).to_ascii_lowercase().contains("=?utf-8?"),
            "a non-ASCII subject must be an RFC 2047 encoded word: {:?}",
            String::from_utf8_lossy(subject_header.get_value_raw())
        );
        assert_eq!(subject_header.get_value(), subject);
        assert_eq!(
            parsed.get_body().unwrap().replace("\r\n", "\n").trim_end(),
            "Follow the link.\n.leading dot survives"
        );
    }
}

#[tokio::test]
async fn implicit_tls_authenticates_from_the_first_byte() {
    let mut server = SmtpServer::start_with(PASSWORD, true).await;
    let mailer = Mailer::from_config(&MailConfig { tls: SmtpTls::Tls, ..server.config() }).unwrap();
    let message = Message {
        to: "owner@customer.test".into(),
        sender_name: "Acme, Inc.".into(),
        subject: "Welcome".into(),
        body: "Hello".into(),
    };
    mailer.send(&message).await.expect("sent over implicit TLS");
    let session = server.next_session().await;
    assert!(session.commands.iter().all(|(_, secure)| *secure), "{:?}", session.commands);
    assert!(!session.verbs().contains(&"STARTTLS"));
    assert_eq!(session.credentials, Some((USERNAME.to_string(), PASSWORD.to_string())));
    assert_eq!(sole_sender(&session.message.unwrap()).0.as_deref(), Some("Acme, Inc."));

    // The same server is not trusted without the test CA.
    let untrusted =
        Mailer::from_config(&MailConfig { tls: SmtpTls::Tls, ca_file: String::new(), ..server.config() }).unwrap();
    let error = untrusted.send(&message).await.unwrap_err().to_string();
    assert!(error.contains("tls") || error.contains("certificate"), "{error}");
}

#[tokio::test]
async fn a_customer_s_invitation_comes_from_the_tenant_s_sender_name_over_an_authenticated_relay() {
    let mut server = SmtpServer::start(PASSWORD).await;
    let config = server.config_json();
    let world = World::start_configured(|env| {
        env.config.set_section_value("tenancy", "mail", config);
        env.config.set_section_value("tenancy", "default_product_name", serde_json::json!("Acme, Inc."));
    })
    .await;
    world.create_customer("Acme Hosting", "owner@acme-inc.test").await;
    let session = server.next_session().await;
    assert_upgraded_before_auth(&session);
    let message = session.message.expect("a DATA section");
    assert_eq!(sole_sender(&message), (Some("Acme, Inc.".to_string()), "no-reply@canopy.test".to_string()));
    let parsed = mailparse::parse_mail(message.as_bytes()).unwrap();
    assert!(parsed.get_body().unwrap().contains("https://portal.canopy.test/invitation#token="), "{message}");
}

#[tokio::test]
async fn a_relay_refusing_the_credentials_gives_a_clear_error_and_the_mail_stays_due() {
    let mut server = SmtpServer::start("a different password").await;
    let config = server.config_json();
    let world = World::start_configured(|env| env.config.set_section_value("tenancy", "mail", config)).await;
    world.create_customer("Refused Ltd", "owner@refused.test").await;
    let session = server.next_session().await;
    assert_upgraded_before_auth(&session);
    assert!(session.message.is_none(), "nothing may be sent after a refused AUTH");

    let pool = world.env.superuser_pool().await;
    let (attempts, last_error, sent): (i32, String, bool) = loop {
        let row: Option<(i32, String, bool)> = sqlx::query_as(
            "select attempts, last_error, sent_time is not null from tenancy.outbound_email
              where recipient = 'owner@refused.test'",
        )
        .fetch_optional(&pool)
        .await
        .unwrap();
        match row {
            Some(row) if row.0 > 0 => break row,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    assert_eq!((attempts, sent), (1, false), "the row stays due for a retry");
    assert!(last_error.contains("refused the credentials of \"canopy-mailer\""), "{last_error}");
    assert!(last_error.contains("535"), "the relay's reply is kept: {last_error}");
    assert!(!last_error.contains(PASSWORD), "the password must not be recorded: {last_error}");
}
