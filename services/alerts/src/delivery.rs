//! Delivering notifications and pages: Slack incoming webhooks (`text` and
//! `blocks`), generic webhooks signed per the Standard Webhooks specification, and
//! email (receivers of kind `email`, and pages to people) through tenancy's mail
//! outbox ([`crate::email`]).
//!
//! A failed attempt is retried on Standard Webhooks' suggested schedule (5 s, 5 min,
//! 30 min, 2 h, 5 h, 10 h, then every 10 h), or after the `Retry-After` a 429 asks
//! for, always with the same `webhook-id`, so a receiver that was down gets the
//! message later and can tell a repeat from a new one. Email is retried on the same
//! schedule while tenancy or identity cannot take it.

use canopy_kit::db::Scope;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::store::{self, DueDelivery};
use crate::{Alerts, email};

/// Deliveries attempted per pass.
const PASS: i64 = 100;

/// The host every Slack incoming webhook lives on.
pub const SLACK_HOST: &str = "hooks.slack.com";

/// The wait after the n-th failed attempt.
pub fn retry_delay(attempts: i32) -> chrono::Duration {
    const SCHEDULE_SECS: [i64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
    let index = usize::try_from(attempts.max(1) - 1).unwrap_or(0).min(SCHEDULE_SECS.len() - 1);
    chrono::Duration::seconds(SCHEDULE_SECS[index])
}

/// Whether `url` may receive signed webhooks: https (http only where allowed), a
/// host, no credentials in it.
pub fn check_webhook_url(url: &str, allow_insecure: bool) -> Result<http::Uri, String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("is required".into());
    }
    if url.len() > 2048 {
        return Err("must be at most 2048 characters".into());
    }
    let uri: http::Uri = url.parse().map_err(|_| "is not a URL".to_string())?;
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if allow_insecure => {}
        _ => return Err("must be an https:// URL".into()),
    }
    let authority = uri.authority().ok_or("must name a host")?;
    if authority.as_str().contains('@') {
        return Err("must not carry credentials".into());
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    Ok(uri)
}

/// Whether `url` is a Slack incoming webhook: `https://hooks.slack.com/…` (any
/// webhook URL only where insecure endpoints are allowed, for local test servers).
pub fn check_slack_url(url: &str, allow_insecure: bool) -> Result<(), String> {
    let uri = check_webhook_url(url, allow_insecure)?;
    if allow_insecure {
        return Ok(());
    }
    if uri.host() != Some(SLACK_HOST) || uri.port().is_some() || !uri.path().starts_with("/services/") {
        return Err(format!("must be a Slack incoming webhook URL, https://{SLACK_HOST}/services/…"));
    }
    Ok(())
}

/// One delivery pass. Returns deliveries that succeeded.
pub async fn deliver_due(alerts: &Alerts) -> anyhow::Result<usize> {
    let now = alerts.clock.now();
    // Deliveries of every customer's receivers: platform scope.
    let mut tx = alerts.database.begin(Scope::Platform).await?;
    let due = store::due_deliveries(&mut tx, now, PASS).await?;
    let mut delivered = 0;
    for delivery in due {
        let attempts = delivery.attempts + 1;
        match send(alerts, &delivery, now).await {
            Ok(()) => {
                delivered += 1;
                store::delivery_succeeded(&mut tx, delivery.id, attempts, now).await?;
            }
            Err(Failure { error, retry_after }) => {
                let next = now + retry_after.unwrap_or_else(|| retry_delay(attempts));
                tracing::warn!(delivery_id = %delivery.id, attempts, %error, "alert delivery failed; will retry");
                store::delivery_failed(&mut tx, delivery.id, attempts, next, &error).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(delivered)
}

struct Failure {
    error: String,
    retry_after: Option<chrono::Duration>,
}

impl Failure {
    fn new(error: impl Into<String>) -> Self {
        Self { error: error.into(), retry_after: None }
    }
}

async fn send(alerts: &Alerts, delivery: &DueDelivery, now: DateTime<Utc>) -> Result<(), Failure> {
    match delivery.kind.as_str() {
        "email" => {
            let addresses = delivery.email_addresses.clone().unwrap_or_default();
            // A customer receiver's mail goes out under the customer's sender name.
            return email::send(alerts, delivery.id, addresses, delivery.tenant_id, &delivery.body)
                .await
                .map_err(Failure::new);
        }
        "user" => {
            let user_id = delivery.user_id.ok_or_else(|| Failure::new("the page names no user"))?;
            let address = email::user_address(alerts, user_id).await.map_err(Failure::new)?;
            // Pages are the platform's: the platform's sender name.
            return email::send(alerts, delivery.id, vec![address], None, &delivery.body).await.map_err(Failure::new);
        }
        _ => {}
    }
    let url = delivery.url.as_deref().ok_or_else(|| Failure::new("the receiver has no URL"))?;
    let (body, headers) = match delivery.kind.as_str() {
        "slack" => (slack_message(&delivery.body).to_string(), http::HeaderMap::new()),
        "webhook" => {
            let body = json!({
                "type": match delivery.body["kind"].as_str() { Some("page") => "incident.page", _ => "alert.notification" },
                "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "data": delivery.body,
            })
            .to_string();
            let secret = delivery.secret.as_deref().ok_or_else(|| Failure::new("the receiver has no secret"))?;
            let headers =
                canopy_kit::webhook::signed_headers(secret, &delivery.webhook_id, now.timestamp(), body.as_bytes())
                    .map_err(|e| Failure::new(e.to_string()))?;
            (body, headers)
        }
        other => return Err(Failure::new(format!("receivers of kind {other} are not delivered to over HTTP"))),
    };
    let response = alerts
        .http
        .post(url, "application/json", headers, body.into())
        .await
        .map_err(|e| Failure::new(e.to_string()))?;
    if response.status.is_success() {
        return Ok(());
    }
    let retry_after = (response.status == http::StatusCode::TOO_MANY_REQUESTS)
        .then(|| response.retry_after())
        .flatten()
        .and_then(|wait| chrono::Duration::from_std(wait).ok());
    Err(Failure { error: format!("the receiver answered {}", response.status), retry_after })
}

/// Alertmanager's title for a stored notification: `[FIRING:2] group labels`, or
/// `[RESOLVED] group labels` when nothing fires any more.
pub fn notification_title(notification: &Value) -> String {
    let alerts = notification["alerts"].as_array().cloned().unwrap_or_default();
    let firing = alerts.iter().filter(|a| a["status"] == "firing").count();
    let group = notification["group_labels"]
        .as_object()
        .map(|labels| {
            labels.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(" ")
        })
        .unwrap_or_default();
    if firing > 0 { format!("[FIRING:{firing}] {group}") } else { format!("[RESOLVED] {group}") }
}

/// A Slack message for a stored delivery body: Alertmanager's title
/// (`[FIRING:2] group labels`) as `text` (the notification fallback), and the same
/// with one line per alert as `blocks`.
pub fn slack_message(body: &Value) -> Value {
    if body["kind"] == "page" {
        let text = format!(
            "Incident paging (step {}): {}",
            body["step"].as_u64().unwrap_or(0) + 1,
            body["summary"].as_str().unwrap_or_default()
        );
        let link = body["acknowledge_url"].as_str().unwrap_or_default();
        return json!({
            "text": text,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": format!("*{text}*")}},
                {"type": "section", "text": {"type": "mrkdwn", "text": format!("<{link}|Acknowledge>")}},
            ],
        });
    }
    let notification = &body["notification"];
    let alerts = notification["alerts"].as_array().cloned().unwrap_or_default();
    let title = notification_title(notification);
    let lines: Vec<String> = alerts
        .iter()
        .map(|alert| {
            let labels = &alert["alert"]["labels"];
            let summary = alert["alert"]["annotations"]["summary"].as_str().unwrap_or_default();
            format!(
                "• {} *{}* ({}) {summary}",
                alert["status"].as_str().unwrap_or_default(),
                labels["alertname"].as_str().unwrap_or_default(),
                labels["severity"].as_str().unwrap_or("none"),
            )
        })
        .collect();
    json!({
        "text": title,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title}},
            {"type": "section", "text": {"type": "mrkdwn", "text": lines.join("\n")}},
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_urls_must_be_slack_s_own_and_webhooks_https() {
        assert!(check_slack_url("https://hooks.slack.com/services/T0/B0/x", false).is_ok());
        for url in [
            "https://hooks.slack.com.evil.test/services/x",
            "https://evil.test/services/x",
            "http://hooks.slack.com/services/x",
        ] {
            assert!(check_slack_url(url, false).is_err(), "{url}");
        }
        assert!(check_webhook_url("http://example.com/x", false).is_err());
        assert!(check_webhook_url("http://127.0.0.1:9/x", true).is_ok());
        assert!(check_webhook_url("https://u:p@example.com/x", false).is_err());
    }
}
