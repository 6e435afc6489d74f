//! The request boundary: before a handler runs, every request message of a Canopy
//! method is decoded against the method's input descriptor and every string in it
//! (nested messages, repeated fields, map keys and values, oneofs) is checked for NUL
//! (U+0000), which PostgreSQL's `text` cannot store. A class of faults — a NUL reaching
//! a query and coming back INTERNAL with an error line in the log — is refused in one
//! place instead of field by field: INVALID_ARGUMENT naming every offending field path.
//!
//! Public sign-in methods (`AUDIENCE_PUBLIC` with `RATE_CLASS_SIGN_IN` in the contract)
//! answer with the uniform UNAUTHENTICATED of a refused credential instead, naming no
//! field: nothing about an account can be learnt from it either way.
//!
//! The layer sits inside `AuthLayer`, so only callers the method admits get their
//! request decoded. Descriptors are looked up once per method at start-up. Canopy has
//! no client-streaming methods, so a request body is one small message, read whole
//! (bounded by tonic's default 4 MiB message limit) and handed on unchanged.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use canopy_sdk::proto::canopy::options::v1::{Audience, RateClass};
use futures_util::future::BoxFuture;
use http::{Request, Response};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use prost_reflect::{DescriptorPool, DynamicMessage, MapKey, MessageDescriptor, Value};
use tonic::Status;
use tonic::body::Body;
use tower::Service;

use crate::access::MethodPolicies;
use crate::middleware::Middleware;
use crate::{ApiError, FieldViolation};

/// Largest request body read: one message at tonic's default decoding limit, framed.
const MAX_REQUEST_BODY: usize = 4 * 1024 * 1024 + 5;

/// What a NUL in a string field is told.
const NUL_REFUSED: &str = "must not contain NUL (U+0000) characters";

/// How a method answers a request the boundary refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// INVALID_ARGUMENT with a field violation per offending field.
    FieldViolations,
    /// UNAUTHENTICATED like any refused credential (public sign-in methods).
    UniformCredentials,
}

#[derive(Debug, Clone)]
struct BoundaryMethod {
    input: MessageDescriptor,
    refusal: Refusal,
}

/// The request message as the boundary decoded it, for the layers inside it (the
/// audit trail summarises it) so nothing decodes it twice.
#[derive(Debug, Clone)]
pub struct DecodedRequest(pub DynamicMessage);

/// Validates every string of every Canopy request message (see the module).
#[derive(Debug, Clone)]
pub struct RequestBoundary {
    methods: Arc<HashMap<String, BoundaryMethod>>,
}

impl RequestBoundary {
    /// Every method of every `canopy.*` service in `descriptor_set`, by gRPC path.
    pub fn new(descriptor_set: &[u8], policies: &MethodPolicies) -> Result<Self, prost_reflect::DescriptorError> {
        let pool = DescriptorPool::decode(descriptor_set)?;
        let mut methods = HashMap::new();
        for service in pool.services().filter(|s| s.package_name().starts_with("canopy.")) {
            for method in service.methods() {
                let path = format!("/{}/{}", service.full_name(), method.name());
                let sign_in = policies.get(&path).is_some_and(|policy| {
                    policy.audience() == Audience::Public && policy.rate_class() == RateClass::SignIn
                });
                let refusal = if sign_in { Refusal::UniformCredentials } else { Refusal::FieldViolations };
                methods.insert(path, BoundaryMethod { input: method.input(), refusal });
            }
        }
        Ok(Self { methods: Arc::new(methods) })
    }

    /// Checks one gRPC-framed request body for the method at `path` as the layer does
    /// (`Ok` for paths that are not Canopy methods). For benches and tests.
    pub fn check(&self, path: &str, body: Bytes) -> Result<(), Status> {
        match self.methods.get(path) {
            Some(method) => check_body(method, body).map(drop),
            None => Ok(()),
        }
    }
}

impl<S> Middleware<S, Request<Body>> for RequestBoundary
where
    S: Service<Request<Body>, Response = Response<Body>> + Send + 'static,
    S::Future: Send + 'static,
{
    fn call(&self, request: Request<Body>, mut inner: S) -> BoxFuture<'static, Result<S::Response, S::Error>> {
        // Health, reflection and other non-Canopy services are not ours to check.
        let Some(method) = self.methods.get(request.uri().path()).cloned() else {
            return Box::pin(inner.call(request));
        };
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let bytes = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(error) if error.is::<LengthLimitError>() => {
                    return Ok(Status::out_of_range("request message too large").into_http());
                }
                Err(error) => return Ok(Status::from_error(error).into_http()),
            };
            let mut parts = parts;
            match check_body(&method, bytes.clone()) {
                Ok(Some(message)) => {
                    parts.extensions.insert(DecodedRequest(message));
                }
                Ok(None) => {}
                Err(status) => return Ok(status.into_http()),
            }
            inner.call(Request::from_parts(parts, Body::new(Full::new(bytes)))).await
        })
    }
}

/// Checks every gRPC-framed message of a request body; returns the last one.
fn check_body(method: &BoundaryMethod, mut body: Bytes) -> Result<Option<DynamicMessage>, Status> {
    let mut last = None;
    while body.has_remaining() {
        if body.remaining() < 5 {
            return Err(Status::invalid_argument("malformed request: incomplete message frame"));
        }
        let compressed = body.get_u8();
        let length = body.get_u32() as usize;
        if compressed != 0 {
            // No Canopy service accepts compressed requests (tonic would refuse them
            // too); refusing here keeps the boundary sound if one ever did.
            return Err(Status::unimplemented("compressed requests are not accepted"));
        }
        if body.remaining() < length {
            return Err(Status::invalid_argument("malformed request: incomplete message frame"));
        }
        let frame = body.split_to(length);
        last = Some(check_message(method, frame).map_err(Status::from)?);
    }
    Ok(last)
}

/// Decodes one request message and refuses it when a string holds a NUL.
fn check_message(method: &BoundaryMethod, frame: Bytes) -> Result<DynamicMessage, ApiError> {
    let refuse = |violations: Vec<FieldViolation>| match method.refusal {
        Refusal::FieldViolations => ApiError::InvalidArgument(violations),
        Refusal::UniformCredentials => ApiError::Unauthenticated("invalid or expired credentials"),
    };
    let message = DynamicMessage::decode(method.input.clone(), frame).map_err(|_| {
        refuse(vec![FieldViolation::new("request", format!("is not a valid {} message", method.input.full_name()))])
    })?;
    let violations = nul_violations(&message);
    if violations.is_empty() { Ok(message) } else { Err(refuse(violations)) }
}

/// A violation for every string in `message` (recursively) that contains NUL,
/// named by its path: `site.name`, `allowed_regions[2]`, `labels[env]`.
pub fn nul_violations(message: &DynamicMessage) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    check_fields(message, "", &mut violations);
    violations
}

fn check_fields(message: &DynamicMessage, prefix: &str, violations: &mut Vec<FieldViolation>) {
    for (field, value) in message.fields() {
        let path = if prefix.is_empty() { field.name().to_string() } else { format!("{prefix}.{}", field.name()) };
        check_value(value, &path, violations);
    }
}

fn check_value(value: &Value, path: &str, violations: &mut Vec<FieldViolation>) {
    match value {
        Value::String(text) if text.contains('\0') => violations.push(FieldViolation::new(path, NUL_REFUSED)),
        Value::Message(message) => check_fields(message, path, violations),
        Value::List(items) => {
            for (index, item) in items.iter().enumerate() {
                check_value(item, &format!("{path}[{index}]"), violations);
            }
        }
        Value::Map(entries) => {
            for (key, item) in entries {
                let mut item_path = format!("{path}[");
                match key {
                    MapKey::String(key) if key.contains('\0') => {
                        violations.push(FieldViolation::new(path, format!("keys {NUL_REFUSED}")));
                        continue;
                    }
                    MapKey::String(key) => item_path.push_str(key),
                    MapKey::Bool(key) => {
                        let _ = write!(item_path, "{key}");
                    }
                    MapKey::I32(key) => {
                        let _ = write!(item_path, "{key}");
                    }
                    MapKey::I64(key) => {
                        let _ = write!(item_path, "{key}");
                    }
                    MapKey::U32(key) => {
                        let _ = write!(item_path, "{key}");
                    }
                    MapKey::U64(key) => {
                        let _ = write!(item_path, "{key}");
                    }
                }
                item_path.push(']');
                check_value(item, &item_path, violations);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_sdk::FILE_DESCRIPTOR_SET;
    use canopy_sdk::proto::canopy::identity::v1 as identity;
    use canopy_sdk::proto::canopy::sites::v1 as sites;
    use tonic::Code;

    fn layer() -> RequestBoundary {
        let policies = MethodPolicies::from_descriptor_set(FILE_DESCRIPTOR_SET).unwrap();
        RequestBoundary::new(FILE_DESCRIPTOR_SET, &policies).unwrap()
    }

    fn framed(message: &impl prost::Message) -> Bytes {
        let encoded = message.encode_to_vec();
        let mut body = vec![0u8];
        body.extend_from_slice(&(encoded.len() as u32).to_be_bytes());
        body.extend_from_slice(&encoded);
        body.into()
    }

    fn violations(status: &Status) -> Vec<(String, String)> {
        use tonic_types::StatusExt as _;
        status
            .get_error_details()
            .bad_request()
            .map(|bad| bad.field_violations.iter().map(|v| (v.field.clone(), v.description.clone())).collect())
            .unwrap_or_default()
    }

    #[test]
    fn nul_anywhere_in_a_request_is_refused_naming_the_field_path() {
        let layer = layer();
        let method = &layer.methods["/canopy.sites.v1.SiteService/CreateSite"];
        let request = sites::CreateSiteRequest {
            idempotency_key: "create-site-1".into(),
            name: "shop\0".into(),
            labels: [("env".to_string(), "pr\0d".to_string()), ("te\0am".to_string(), "web".to_string())].into(),
            runtime: Some(sites::Runtime {
                image: "nginx\0".into(),
                port: 80,
                env: [("KEY".to_string(), "\0".to_string())].into(),
            }),
            ..Default::default()
        };
        let status = check_body(method, framed(&request)).unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let mut fields: Vec<String> = violations(&status).into_iter().map(|(field, _)| field).collect();
        fields.sort();
        assert_eq!(fields, ["labels", "labels[env]", "name", "runtime.env[KEY]", "runtime.image"]);

        let clean = sites::CreateSiteRequest { name: "shop".into(), ..request.clone() };
        let clean = sites::CreateSiteRequest { labels: Default::default(), runtime: None, ..clean };
        assert!(check_body(method, framed(&clean)).is_ok());
        assert!(check_body(method, Bytes::new()).is_ok(), "an empty body is tonic's to answer");
    }

    #[test]
    fn public_sign_in_answers_like_a_refused_credential() {
        let layer = layer();
        let login = &layer.methods["/canopy.identity.v1.AuthService/Login"];
        assert_eq!(login.refusal, Refusal::UniformCredentials);
        let request = identity::LoginRequest { email: "a\0@example.com".into(), password: "x".into() };
        let status = check_body(login, framed(&request)).unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(violations(&status).is_empty(), "names no field");
        assert_eq!(layer.methods["/canopy.identity.v1.UserService/CreateUser"].refusal, Refusal::FieldViolations);
    }

    #[test]
    fn malformed_frames_and_messages_are_the_caller_s_fault() {
        let layer = layer();
        let method = &layer.methods["/canopy.identity.v1.UserService/GetUser"];
        assert_eq!(check_body(method, Bytes::from_static(&[0, 0, 0])).unwrap_err().code(), Code::InvalidArgument);
        assert_eq!(
            check_body(method, Bytes::from_static(&[0, 0, 0, 0, 9, 1])).unwrap_err().code(),
            Code::InvalidArgument
        );
        assert_eq!(check_body(method, Bytes::from_static(&[1, 0, 0, 0, 0])).unwrap_err().code(), Code::Unimplemented);
        // Field 1 (user_id) as a string of invalid UTF-8.
        let status = check_body(method, Bytes::from_static(&[0, 0, 0, 0, 3, 0x0a, 1, 0xff])).unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(violations(&status)[0].0, "request");
    }
}
