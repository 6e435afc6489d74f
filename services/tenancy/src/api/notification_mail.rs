//! `NotificationMailService`, for other services (alerts): mail queued in tenancy's
//! outbox and sent by the `mail` job like invitations, from the same relay and under
//! the same white-label sender name when it is for a customer.

use std::sync::Arc;

use canopy_kit::db::Scope;
use canopy_kit::mesh::CallerWorkload;
use canopy_kit::request::{human_text_field, optional_id_field};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::tenancy::v1 as pb;
use canopy_sdk::proto::canopy::tenancy::v1::notification_mail_service_server::NotificationMailService;
use tonic::{Request, Response, Status};

use super::db;
use crate::Tenancy;
use crate::domain::customer::email;
use crate::store;

/// At most this many recipients per call: notifications go to a few people, not lists.
pub const MAX_RECIPIENTS: usize = 20;
/// A subject is one line a person reads.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// A plain-text body; alert notifications are far smaller.
pub const MAX_BODY_BYTES: usize = 65_536;

pub struct NotificationMailApi(pub Arc<Tenancy>);

/// The checked request.
struct Notification {
    recipients: Vec<String>,
    subject: String,
    body: String,
    customer_id: Option<uuid::Uuid>,
}

/// Checks every field, collecting one violation per problem. The subject goes into a
/// header, so anything that could end the line (CR, LF) or hide text is refused
/// there; the body may have line breaks and tabs but no other control characters.
fn validate(request: &pb::SendNotificationMailRequest) -> Result<Notification, ApiError> {
    let mut violations = Vec::new();
    if request.dedup_id.len() < 8
        || request.dedup_id.len() > 128
        || !request.dedup_id.bytes().all(|b| b.is_ascii_graphic())
    {
        violations.push(FieldViolation::new("dedup_id", "must be 8 to 128 printable ASCII characters"));
    }
    if request.recipients.is_empty() {
        violations.push(FieldViolation::new("recipients", "at least one is required"));
    }
    if request.recipients.len() > MAX_RECIPIENTS {
        violations.push(FieldViolation::new("recipients", format!("at most {MAX_RECIPIENTS}")));
    }
    let mut recipients: Vec<String> = Vec::new();
    for (index, raw) in request.recipients.iter().take(MAX_RECIPIENTS).enumerate() {
        let address = email(&format!("recipients[{index}]"), raw, &mut violations);
        // The same person twice gets one message.
        if !recipients.iter().any(|known| known.eq_ignore_ascii_case(&address)) {
            recipients.push(address);
        }
    }
    let subject = human_text_field("subject", &request.subject, MAX_SUBJECT_CHARS, &mut violations);
    if request.body.trim().is_empty() {
        violations.push(FieldViolation::new("body", "is required"));
    } else if request.body.len() > MAX_BODY_BYTES {
        violations.push(FieldViolation::new("body", format!("must be at most {MAX_BODY_BYTES} bytes")));
    } else if request.body.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        violations
            .push(FieldViolation::new("body", "must not contain control characters other than line breaks and tabs"));
    }
    let customer_id = optional_id_field("customer_id", &request.customer_id, &mut violations);
    if !violations.is_empty() {
        return Err(ApiError::InvalidArgument(violations));
    }
    Ok(Notification { recipients, subject, body: request.body.clone(), customer_id })
}

#[tonic::async_trait]
impl NotificationMailService for NotificationMailApi {
    async fn send_notification_mail(
        &self,
        request: Request<pb::SendNotificationMailRequest>,
    ) -> Result<Response<pb::SendNotificationMailResponse>, Status> {
        // Only services inside the mesh send (the policy says INTERNAL; the kit puts
        // the caller's workload identity on the request).
        let caller = request
            .extensions()
            .get::<CallerWorkload>()
            .map(|caller| caller.0.service_account.clone())
            .ok_or(ApiError::PermissionDenied("only services inside the mesh send notification mail".into()))?;
        let input = request.into_inner();
        let notification = validate(&input)?;
        // Dedup ids are the caller's own: another service's id can never suppress its mail.
        let dedup_key = format!("{caller}/{}", input.dedup_id);
        // Mail for any customer (or none) from a system caller: platform scope.
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        if let Some(customer_id) = notification.customer_id
            && store::customer(&mut tx, customer_id, false).await.map_err(db)?.is_none()
        {
            return Err(ApiError::NotFound { resource: "customer" }.into());
        }
        let queued = store::enqueue_notification(
            &mut tx,
            notification.customer_id,
            &dedup_key,
            &notification.recipients,
            &notification.subject,
            &notification.body,
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        if queued > 0 {
            self.0.mail_due.notify_one();
        }
        Ok(Response::new(pb::SendNotificationMailResponse { queued_count: i32::try_from(queued).unwrap_or(i32::MAX) }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> pb::SendNotificationMailRequest {
        pb::SendNotificationMailRequest {
            dedup_id: "page-0001".into(),
            recipients: vec!["ops@example.com".into(), "OPS@example.com".into()],
            subject: "[FIRING:1] alertname=site_failed".into(),
            body: "line one\nline two\n".into(),
            customer_id: String::new(),
        }
    }

    fn fields(result: Result<Notification, ApiError>) -> Vec<String> {
        match result {
            Err(ApiError::InvalidArgument(violations)) => violations.into_iter().map(|v| v.field).collect(),
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn a_notification_is_accepted_and_a_repeated_recipient_gets_one_message() {
        let checked = validate(&request()).unwrap();
        assert_eq!(checked.recipients, ["ops@example.com"]);
        assert_eq!(checked.customer_id, None);
    }

    #[test]
    fn header_injection_and_bad_fields_are_refused_naming_the_field() {
        let injected =
            pb::SendNotificationMailRequest { subject: "Alert\r\nBcc: everyone@example.com".into(), ..request() };
        assert_eq!(fields(validate(&injected)), ["subject"]);
        let bad = pb::SendNotificationMailRequest {
            dedup_id: "short".into(),
            recipients: vec!["ops@example.com".into(), "not an address".into(), "a@b.com\r\nBcc: x@y.com".into()],
            subject: String::new(),
            body: "bell\u{7}".into(),
            customer_id: "nope".into(),
        };
        assert_eq!(
            fields(validate(&bad)),
            ["dedup_id", "recipients[1]", "recipients[2]", "subject", "body", "customer_id"]
        );
        let none = pb::SendNotificationMailRequest { recipients: vec![], ..request() };
        assert_eq!(fields(validate(&none)), ["recipients"]);
    }
}
