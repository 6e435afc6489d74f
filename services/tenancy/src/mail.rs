//! Outgoing mail: an SMTP client for a relay (RFC 5321 subset: EHLO, MAIL, RCPT,
//! DATA, QUIT — no AUTH or STARTTLS, so point it at a local or in-mesh relay), or a
//! log mode that prints each message (what `canopyd dev` uses).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

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

/// Mail settings (`[services.tenancy.mail]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    pub mode: MailMode,
    /// `host:port` of the relay.
    pub smtp_addr: String,
    /// Envelope and header sender address.
    pub from_address: String,
    /// Name this host gives in EHLO.
    pub helo_name: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            mode: MailMode::Log,
            smtp_addr: "127.0.0.1:25".into(),
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

/// Why a message was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("smtp relay {addr}: {reason}")]
    Relay { addr: String, reason: String },
    #[error("refusing to send: {0}")]
    Unsafe(&'static str),
}

/// Sends `message` as configured.
pub async fn send(config: &MailConfig, message: &Message) -> Result<(), MailError> {
    // Header injection: no CR or LF may reach a header line.
    for value in [&message.to, &message.sender_name, &message.subject, &config.from_address] {
        if value.contains(['\r', '\n']) {
            return Err(MailError::Unsafe("line break in a header value"));
        }
    }
    match config.mode {
        MailMode::Log => {
            println!(
                "--- mail to {} ---\nSubject: {}\n\n{}\n--- end of mail ---",
                message.to, message.subject, message.body
            );
            Ok(())
        }
        MailMode::Smtp => tokio::time::timeout(Duration::from_secs(15), deliver(config, message))
            .await
            .map_err(|_| MailError::Relay { addr: config.smtp_addr.clone(), reason: "timed out".into() })?,
    }
}

async fn deliver(config: &MailConfig, message: &Message) -> Result<(), MailError> {
    let relay = |reason: String| MailError::Relay { addr: config.smtp_addr.clone(), reason };
    let stream = TcpStream::connect(&config.smtp_addr).await.map_err(|e| relay(e.to_string()))?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);

    expect(&mut read, 220).await.map_err(relay)?;
    command(&mut write, &format!("EHLO {}", config.helo_name)).await.map_err(relay)?;
    expect(&mut read, 250).await.map_err(relay)?;
    command(&mut write, &format!("MAIL FROM:<{}>", config.from_address)).await.map_err(relay)?;
    expect(&mut read, 250).await.map_err(relay)?;
    command(&mut write, &format!("RCPT TO:<{}>", message.to)).await.map_err(relay)?;
    expect(&mut read, 250).await.map_err(relay)?;
    command(&mut write, "DATA").await.map_err(relay)?;
    expect(&mut read, 354).await.map_err(relay)?;

    let date = chrono::Utc::now().to_rfc2822();
    let id = uuid::Uuid::new_v4();
    let mut data = format!(
        "From: {} <{}>\r\nTo: <{}>\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <{id}@{}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        message.sender_name, config.from_address, message.to, message.subject, config.helo_name
    );
    for line in message.body.lines() {
        // Dot-stuffing (RFC 5321 §4.5.2).
        if line.starts_with('.') {
            data.push('.');
        }
        data.push_str(line);
        data.push_str("\r\n");
    }
    data.push_str(".\r\n");
    write.write_all(data.as_bytes()).await.map_err(|e| relay(e.to_string()))?;
    expect(&mut read, 250).await.map_err(relay)?;
    command(&mut write, "QUIT").await.map_err(relay)?;
    Ok(())
}

async fn command(write: &mut tokio::net::tcp::OwnedWriteHalf, line: &str) -> Result<(), String> {
    write.write_all(format!("{line}\r\n").as_bytes()).await.map_err(|e| e.to_string())
}

/// Reads a (possibly multi-line) reply and checks its code.
async fn expect(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, code: u16) -> Result<(), String> {
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await.map_err(|e| e.to_string())? == 0 {
            return Err("connection closed".into());
        }
        let got: u16 = line.get(..3).and_then(|c| c.parse().ok()).ok_or_else(|| format!("bad reply {line:?}"))?;
        if got != code {
            return Err(format!("expected {code}, got {}", line.trim_end()));
        }
        // "250-..." continues, "250 ..." ends.
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}
