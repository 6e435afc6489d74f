//! Email: receivers of kind `email`, and pages to people (a user named by an
//! escalation step, or whoever is on call). Alerts sends no mail itself: it asks
//! tenancy's `NotificationMailService` to queue the message in tenancy's mail outbox,
//! so mail leaves through the one configured relay, and a customer receiver's mail
//! carries that customer's white-label sender name. A person's address comes from
//! identity's `UserContactService` when the page is delivered (not when it is
//! decided), so an address changed in the meantime is the one used.
//!
//! Each delivery row's id is the dedup id tenancy gets, so a retried delivery (tenancy
//! answered, but the row could not be marked) never mails anyone twice.

use canopy_kit::FieldViolation;
use canopy_sdk::proto::canopy::identity::v1 as identity;
use canopy_sdk::proto::canopy::identity::v1::user_contact_service_client::UserContactServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1 as tenancy;
use canopy_sdk::proto::canopy::tenancy::v1::notification_mail_service_client::NotificationMailServiceClient;
use serde_json::Value;
use uuid::Uuid;

use crate::Alerts;
use crate::delivery::notification_title;

/// The recipients of one email receiver (tenancy takes at most 20 per message).
pub const MAX_ADDRESSES: usize = 20;
/// Tenancy refuses longer subjects.
const MAX_SUBJECT_CHARS: usize = 200;

/// Checks an email receiver's addresses, one violation per bad one under
/// `field[i]`. The rule is tenancy's (which checks again when mail is queued): a
/// local part of safe characters, `@`, a host name with a dot, at most 254 characters.
pub fn check_addresses(field: &str, addresses: &[String], violations: &mut Vec<FieldViolation>) -> Vec<String> {
    if addresses.is_empty() {
        violations.push(FieldViolation::new(field, "at least one address is required"));
    }
    if addresses.len() > MAX_ADDRESSES {
        violations.push(FieldViolation::new(field, format!("at most {MAX_ADDRESSES} addresses")));
    }
    let mut checked = Vec::new();
    for (index, raw) in addresses.iter().enumerate() {
        let address = raw.trim();
        if !is_address(address) {
            violations.push(FieldViolation::new(
                format!("{field}[{index}]"),
                "must be an email address like name@example.com",
            ));
        } else if !checked.iter().any(|known: &String| known.eq_ignore_ascii_case(address)) {
            checked.push(address.to_string());
        }
    }
    checked
}

fn is_address(value: &str) -> bool {
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    value.len() <= 254
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !local.starts_with('.')
                && !local.ends_with('.')
                && !local.contains("..")
                && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
                && domain.contains('.')
                && domain.len() <= 253
                && domain.split('.').all(label_ok)
                && domain.rsplit('.').next().is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()))
        })
}

/// The subject and plain-text body of a stored delivery body (a notification or a
/// page), as a person reads them in a mail client.
pub fn message(body: &Value) -> (String, String) {
    if body["kind"] == "page" {
        let summary = body["summary"].as_str().unwrap_or_default();
        let subject = format!("Incident paging (step {}): {summary}", body["step"].as_u64().unwrap_or(0) + 1);
        let text = format!(
            "An incident needs you.\n\n{summary}\n\nAcknowledge it (this stops the paging):\n{}\n\nIncident {}\n",
            body["acknowledge_url"].as_str().unwrap_or_default(),
            body["incident_id"].as_str().unwrap_or_default(),
        );
        return (one_line(&subject), text);
    }
    let notification = &body["notification"];
    let mut text = String::new();
    for alert in notification["alerts"].as_array().into_iter().flatten() {
        let labels = &alert["alert"]["labels"];
        text.push_str(&format!(
            "{} {} ({})",
            alert["status"].as_str().unwrap_or_default(),
            labels["alertname"].as_str().unwrap_or_default(),
            labels["severity"].as_str().unwrap_or("none"),
        ));
        if let Some(summary) = alert["alert"]["annotations"]["summary"].as_str() {
            text.push_str(&format!(": {summary}"));
        }
        text.push('\n');
        if let Some(labels) = labels.as_object() {
            let shown: Vec<String> =
                labels.iter().map(|(name, value)| format!("{name}={}", value.as_str().unwrap_or_default())).collect();
            text.push_str(&format!("  {}\n", shown.join(" ")));
        }
    }
    (one_line(&notification_title(notification)), text)
}

/// A subject tenancy accepts: label values come from publishers, so anything but
/// letters, digits, ASCII punctuation and spaces (line breaks, and the invisible or
/// direction-changing characters tenancy refuses) becomes a space, and the length is
/// bounded.
fn one_line(subject: &str) -> String {
    let visible = |c: char| c.is_alphanumeric() || c.is_ascii_graphic() || c == ' ';
    let cleaned: String = subject.chars().map(|c| if visible(c) { c } else { ' ' }).collect();
    let trimmed = cleaned.trim();
    if trimmed.chars().count() <= MAX_SUBJECT_CHARS {
        return trimmed.to_string();
    }
    let mut short: String = trimmed.chars().take(MAX_SUBJECT_CHARS - 1).collect();
    short.push('…');
    short
}

/// Queues `body` as mail to `recipients` through tenancy. `customer` selects the
/// white-label sender name; `dedup_id` is stable across retries of one delivery.
pub async fn send(
    alerts: &Alerts,
    dedup_id: Uuid,
    recipients: Vec<String>,
    customer: Option<Uuid>,
    body: &Value,
) -> Result<(), String> {
    let (subject, text) = message(body);
    let channel = alerts.peers.channel("tenancy").await.map_err(|e| format!("tenancy: {e}"))?;
    NotificationMailServiceClient::new(channel)
        .send_notification_mail(tenancy::SendNotificationMailRequest {
            dedup_id: format!("alerts-delivery-{dedup_id}"),
            recipients,
            subject,
            body: text,
            customer_id: customer.map(|id| id.to_string()).unwrap_or_default(),
        })
        .await
        .map_err(|status| format!("tenancy refused the mail: {:?} {}", status.code(), status.message()))?;
    Ok(())
}

/// The address to page `user_id` at, from identity. A disabled user is not paged
/// (an error, so the delivery shows why and is retried should they be enabled).
pub async fn user_address(alerts: &Alerts, user_id: Uuid) -> Result<String, String> {
    let channel = alerts.peers.channel("identity").await.map_err(|e| format!("identity: {e}"))?;
    let contact = UserContactServiceClient::new(channel)
        .get_user_contact(identity::GetUserContactRequest { user_id: user_id.to_string() })
        .await
        .map_err(|status| {
            format!("identity could not give the user's address: {:?} {}", status.code(), status.message())
        })?
        .into_inner();
    if contact.status() == identity::UserStatus::Disabled {
        return Err(format!("user {user_id} is disabled; not paged"));
    }
    Ok(contact.email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_one_by_one_and_repeats_dropped() {
        let mut violations = Vec::new();
        let addresses = ["ops@example.com", "OPS@example.com", "not an address", "a@b", "x@y.com\r\nBcc: z@y.com"];
        let checked = check_addresses("receiver.email.addresses", &addresses.map(String::from), &mut violations);
        assert_eq!(checked, ["ops@example.com"]);
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["receiver.email.addresses[2]", "receiver.email.addresses[3]", "receiver.email.addresses[4]"]
        );
        let mut none = Vec::new();
        check_addresses("receiver.email.addresses", &[], &mut none);
        assert_eq!(none[0].field, "receiver.email.addresses");
    }

    #[test]
    fn a_page_mail_carries_the_acknowledge_link_and_a_subject_stays_one_line() {
        let page = serde_json::json!({
            "kind": "page", "incident_id": "i-1", "summary": "alertname=\"x\"\r\nBcc: y", "step": 1,
            "acknowledge_url": "https://console.test/ack?token=abc",
        });
        let (subject, text) = message(&page);
        assert_eq!(subject, "Incident paging (step 2): alertname=\"x\"  Bcc: y");
        assert!(text.contains("https://console.test/ack?token=abc\n"), "{text}");
        assert_eq!(one_line(&"é".repeat(300)).chars().count(), MAX_SUBJECT_CHARS);
    }
}
