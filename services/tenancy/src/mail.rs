//! Outgoing mail: messages built with `lettre` (RFC 5322 headers, RFC 2047 encoded
//! words for display names and subjects) and sent through an SMTP relay with
//! STARTTLS or implicit TLS and AUTH, or a log mode that prints each message (what
//! `canopyd dev` uses).

use std::fmt;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How long one delivery (connect, TLS, AUTH, DATA) may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);

/// How mail leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MailMode {
    /// Print to stdout (dev).
    #[default]
    Log,
    /// Send through the SMTP relay at `smtp_addr`.
    Smtp,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a relay on loopback or inside the mesh). Refuses credentials.
    #[default]
    None,
    /// Plain connect, then a required STARTTLS upgrade (submission, port 587).
    Starttls,
    /// TLS from the first byte (submissions, port 465).
    Tls,
}

/// The relay password: deserialised from configuration, never shown by `Debug` or
/// written back by `Serialize`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SmtpPassword(String);

impl SmtpPassword {
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SmtpPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

impl Serialize for SmtpPassword {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(if self.0.is_empty() { "" } else { "***" })
    }
}

impl<'de> Deserialize<'de> for SmtpPassword {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// Mail settings (`[services.tenancy.mail]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// `log` (print, the default) or `smtp`.
    pub mode: MailMode,
    /// `host:port` of the relay; the host is also the name its TLS certificate must carry.
    pub smtp_addr: String,
    /// `none` (default), `starttls` or `tls`.
    pub tls: SmtpTls,
    /// AUTH user name; empty sends without AUTH. Needs `tls` other than `none`.
    pub username: String,
    /// AUTH password (`CANOPY_SERVICES__TENANCY__MAIL__PASSWORD` keeps it out of files).
    pub password: SmtpPassword,
    /// PEM file of extra CA certificates to trust for the relay (besides the Mozilla
    /// roots), e.g. a private CA; empty trusts only the Mozilla roots.
    pub ca_file: String,
    /// Envelope and header sender address; the display name is the tenant's sender name.
    pub from_address: String,
    /// Name this host gives in EHLO.
    pub helo_name: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            mode: MailMode::Log,
            smtp_addr: "127.0.0.1:25".into(),
            tls: SmtpTls::None,
            username: String::new(),
            password: SmtpPassword::default(),
            ca_file: String::new(),
            from_address: "no-reply@canopy.localhost".into(),
            helo_name: "canopy".into(),
        }
    }
}

/// One message.
#[derive(Debug, Clone)]
pub struct Message {
    pub to: String,
    pub sender_name: String,
    pub subject: String,
    pub body: String,
}

/// Why the mail settings cannot be used (reported at start-up).
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("services.tenancy.mail.{key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

/// Why a message was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("smtp relay {addr}: {reason}")]
    Relay { addr: String, reason: String },
    #[error("smtp relay {addr} refused the credentials of {username:?}: {reason}")]
    Authentication { addr: String, username: String, reason: String },
    #[error("refusing to send: {0}")]
    Unsafe(&'static str),
    #[error("cannot build the message: {0}")]
    Build(String),
}

/// Sends messages as configured; built once at start-up so bad settings stop the
/// service instead of failing every send.
#[derive(Clone)]
pub struct Mailer {
    from_address: Address,
    smtp: Option<Smtp>,
}

#[derive(Clone)]
struct Smtp {
    addr: String,
    username: String,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("from_address", &self.from_address.to_string())
            .field("smtp_addr", &self.smtp.as_ref().map(|s| s.addr.as_str()))
            .finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn from_config(config: &MailConfig) -> Result<Self, MailConfigError> {
        let invalid = |key: &'static str, reason: String| MailConfigError::Invalid { key, reason };
        let from_address: Address = config
            .from_address
            .parse()
            .map_err(|e| invalid("from_address", format!("{:?} is not an address: {e}", config.from_address)))?;
        let smtp = match config.mode {
            MailMode::Log => None,
            MailMode::Smtp => Some(Smtp::from_config(config)?),
        };
        Ok(Self { from_address, smtp })
    }

    /// Sends `message` as configured.
    pub async fn send(&self, message: &Message) -> Result<(), MailError> {
        // lettre encodes header values, but a line break in one is never intended.
        for value in [&message.to, &message.sender_name, &message.subject] {
            if value.contains(['\r', '\n']) {
                return Err(MailError::Unsafe("line break in a header value"));
            }
        }
        let email = self.build(message)?;
        let Some(smtp) = &self.smtp else {
            println!(
                "--- mail to {} ---\nFrom: {}\nSubject: {}\n\n{}\n--- end of mail ---",
                message.to,
                Mailbox::new(Some(message.sender_name.clone()), self.from_address.clone()),
                message.subject,
                message.body
            );
            return Ok(());
        };
        smtp.transport.send(email).await.map(drop).map_err(|error| smtp.explain(&error))
    }

    /// The message as it goes on the wire: `From: "<tenant's sender name>" <from_address>`.
    pub fn build(&self, message: &Message) -> Result<lettre::Message, MailError> {
        let to: Address =
            message.to.parse().map_err(|e| MailError::Build(format!("recipient {:?}: {e}", message.to)))?;
        let from = Mailbox::new(Some(message.sender_name.clone()), self.from_address.clone());
        lettre::Message::builder()
            .from(from)
            .to(Mailbox::new(None, to))
            .subject(message.subject.clone())
            .date_now()
            .message_id(Some(format!("<{}@{}>", uuid::Uuid::new_v4(), self.from_address.domain())))
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| MailError::Build(e.to_string()))
    }
}

impl Smtp {
    fn from_config(config: &MailConfig) -> Result<Self, MailConfigError> {
        let invalid = |key: &'static str, reason: String| MailConfigError::Invalid { key, reason };
        let (host, port) = config
            .smtp_addr
            .rsplit_once(':')
            .and_then(|(host, port)| Some((host.trim_start_matches('[').trim_end_matches(']'), port.parse().ok()?)))
            .filter(|(host, _)| !host.is_empty())
            .ok_or_else(|| invalid("smtp_addr", format!("{:?} is not host:port", config.smtp_addr)))?;
        if !config.username.is_empty() && config.tls == SmtpTls::None {
            return Err(invalid(
                "username",
                "credentials are only sent over TLS: set tls = \"starttls\" or \"tls\"".into(),
            ));
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .hello_name(ClientId::Domain(config.helo_name.clone()))
            .timeout(Some(SEND_TIMEOUT));
        if config.tls != SmtpTls::None {
            let mut parameters = TlsParameters::builder(host.to_string());
            if !config.ca_file.is_empty() {
                let pem = std::fs::read(&config.ca_file)
                    .map_err(|e| invalid("ca_file", format!("cannot read {:?}: {e}", config.ca_file)))?;
                let certificate = Certificate::from_pem(&pem)
                    .map_err(|e| invalid("ca_file", format!("{:?} holds no PEM certificate: {e}", config.ca_file)))?;
                parameters = parameters.add_root_certificate(certificate);
            }
            let parameters = parameters.build_rustls().map_err(|e| invalid("tls", e.to_string()))?;
            builder = builder.tls(match config.tls {
                SmtpTls::Starttls => Tls::Required(parameters),
                _ => Tls::Wrapper(parameters),
            });
        }
        if !config.username.is_empty() {
            builder = builder
                .credentials(Credentials::new(config.username.clone(), config.password.expose().to_string()))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(Self { addr: config.smtp_addr.clone(), username: config.username.clone(), transport: builder.build() })
    }

    /// A refused AUTH (RFC 4954 codes 454, 530, 534, 535) is told apart from other
    /// failures: it needs an operator, not a retry.
    fn explain(&self, error: &lettre::transport::smtp::Error) -> MailError {
        let reason = error.to_string();
        let code = error.status().map(|code| code.to_string());
        let refused_auth = matches!(code.as_deref(), Some("454" | "530" | "534" | "535"))
            || reason.contains("No compatible authentication mechanism");
        if refused_auth && !self.username.is_empty() {
            return MailError::Authentication { addr: self.addr.clone(), username: self.username.clone(), reason };
        }
        MailError::Relay { addr: self.addr.clone(), reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows_in_debug_or_serialised_config() {
        let config = MailConfig { password: SmtpPassword::new("hunter2-secret"), ..MailConfig::default() };
        assert!(!format!("{config:?}").contains("hunter2"));
        assert!(!serde_json::to_string(&config).unwrap().contains("hunter2"));
        let read: MailConfig = serde_json::from_value(serde_json::json!({ "password": "hunter2-secret" })).unwrap();
        assert_eq!(read.password.expose(), "hunter2-secret");
    }

    #[test]
    fn credentials_without_tls_or_a_bad_address_are_refused_at_start_up() {
        let smtp = |f: fn(&mut MailConfig)| {
            let mut config = MailConfig { mode: MailMode::Smtp, ..MailConfig::default() };
            f(&mut config);
            Mailer::from_config(&config).map(drop).map_err(|e| e.to_string())
        };
        assert!(smtp(|c| c.username = "canopy".into()).unwrap_err().contains("mail.username"));
        assert!(smtp(|c| c.smtp_addr = "relay.example.com".into()).unwrap_err().contains("mail.smtp_addr"));
        assert!(smtp(|c| c.from_address = "not an address".into()).unwrap_err().contains("mail.from_address"));
        assert!(
            smtp(|c| (c.tls, c.ca_file) = (SmtpTls::Tls, "/nonexistent/ca.pem".into()))
                .unwrap_err()
                .contains("ca_file")
        );
        smtp(|c| (c.tls, c.username, c.smtp_addr) = (SmtpTls::Starttls, "canopy".into(), "[::1]:587".into())).unwrap();
    }
}
