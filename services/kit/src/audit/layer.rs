//! [`AuditTrail`]: starts a record for every state-changing call, makes it the
//! current call's record while the handler runs (so `Database::begin` writes it in
//! the handler's transactions), and stores the outcome once the handler answers.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use http::{HeaderMap, Request, Response};
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use prost_types::method_options::IdempotencyLevel;
use tonic::body::Body;
use tower::Service;
use uuid::Uuid;

use super::outbox;
use super::record::{ActorKind, AuditRecord, EventKind, Outcome};
use super::summary::Redaction;
use crate::auth::{Principal, PrincipalKind, role_name};
use crate::clock::SharedClock;
use crate::db::{Database, Scope};
use crate::mesh::{CallerWorkload, PeerInfo};
use crate::middleware::Middleware;
use crate::request::DecodedRequest;
use crate::telemetry::CallContext;

/// The audit trail's own ingest: recording it would record the recording, forever.
const INGEST_SERVICE: &str = "canopy.audit.v1.AuditIngestService";

/// Every Canopy method that changes state (its `idempotency_level` is not
/// `NO_SIDE_EFFECTS`), by gRPC path, with its input message; the audit ingest aside.
pub fn audited_methods(pool: &DescriptorPool) -> HashMap<String, MessageDescriptor> {
    let mut methods = HashMap::new();
    let canopy = pool.services().filter(|s| s.package_name().starts_with("canopy.") && s.full_name() != INGEST_SERVICE);
    for service in canopy {
        for method in service.methods() {
            let level = method.method_descriptor_proto().options.as_ref().map(|o| o.idempotency_level());
            if level != Some(IdempotencyLevel::NoSideEffects) {
                methods.insert(format!("/{}/{}", service.full_name(), method.name()), method.input());
            }
        }
    }
    methods
}

tokio::task_local! {
    pub(crate) static CURRENT_CALL: Arc<AuditedCall>;
}

/// Who makes the state-changing call being served on this task, as its audit
/// record names them: `{"kind", "id", "role"}`, or `None` outside an audited call.
/// Deployments keep it so the policies checked before apply know who started them.
pub fn current_actor() -> Option<serde_json::Value> {
    let call = AuditedCall::current()?;
    let record = &call.record;
    Some(serde_json::json!({
        "kind": serde_json::to_value(record.actor_kind).unwrap_or_default(),
        "id": record.actor_id,
        "role": record.actor_role,
    }))
}

/// The record of the call being served on this task.
pub(crate) struct AuditedCall {
    record: AuditRecord,
    /// A customer principal's calls always join its chain; a platform principal's
    /// join the chain of the first tenant its transactions are scoped to.
    tenant_fixed: bool,
    tenant_used: Mutex<Option<Uuid>>,
}

impl AuditedCall {
    /// The call being served on this task, if it is audited.
    pub(crate) fn current() -> Option<Arc<AuditedCall>> {
        CURRENT_CALL.try_with(Arc::clone).ok()
    }

    #[cfg(test)]
    pub(crate) fn for_tests(record: AuditRecord) -> Self {
        Self { record, tenant_fixed: false, tenant_used: Mutex::new(None) }
    }

    /// The record's id.
    pub(crate) fn id(&self) -> Uuid {
        self.record.id
    }

    /// The record as written by a transaction in `scope`.
    pub(crate) fn record_in(&self, scope: Scope) -> AuditRecord {
        let mut record = self.record.clone();
        if !self.tenant_fixed {
            let mut used = self.tenant_used.lock().expect("audit tenant lock poisoned");
            if used.is_none()
                && let Scope::Tenant(tenant) = scope
            {
                *used = Some(tenant.0);
            }
            if let Some(tenant) = *used {
                record.tenant_id = Some(tenant);
            }
        }
        record
    }
}

/// Records every state-changing call (see the module).
#[derive(Clone)]
pub struct AuditTrail {
    methods: Arc<HashMap<String, MessageDescriptor>>,
    redaction: Arc<Redaction>,
    database: Option<Database>,
    clock: SharedClock,
}

impl AuditTrail {
    /// The trail of a service whose outbox is in `database` (`None` for a service
    /// without a schema: its calls' records are then only logged).
    pub fn new(descriptor_set: &[u8], database: Option<Database>, clock: SharedClock) -> Result<Self, String> {
        let pool = DescriptorPool::decode(descriptor_set).map_err(|e| e.to_string())?;
        let redaction = Redaction::new(&pool).ok_or("the descriptor set lacks canopy.options.v1.sensitive")?;
        Ok(Self { methods: Arc::new(audited_methods(&pool)), redaction: Arc::new(redaction), database, clock })
    }

    /// Whether calls to `path` are recorded.
    pub fn audits(&self, path: &str) -> bool {
        self.methods.contains_key(path)
    }

    /// Records a call the kit refused before reading it (no or bad credentials, a
    /// role or tenant state that may not call the method): who tried, what, how it
    /// was refused; the request itself is not read, so it has no summary.
    pub async fn record_refusal(
        &self,
        path: &str,
        headers: &HeaderMap,
        extensions: &http::Extensions,
        principal: Option<&Principal>,
        status: &tonic::Status,
    ) {
        let Some(database) = &self.database else { return };
        let mut record = self.base_record(path, headers, extensions, principal);
        record.tenant_id = principal.and_then(|p| p.tenant).map(|t| t.0);
        let outcome = outcome_of_status(status);
        if let Err(error) = outbox::finish(database, &record, &outcome).await {
            tracing::error!(%error, action = %record.action, "audit record of a refused call not stored");
        }
    }

    /// A record of who called `path` and from where, without the request's content.
    fn base_record(
        &self,
        path: &str,
        headers: &HeaderMap,
        extensions: &http::Extensions,
        principal: Option<&Principal>,
    ) -> AuditRecord {
        let workload = extensions.get::<CallerWorkload>().map(|CallerWorkload(identity)| identity);
        let (actor_kind, actor_id) = match (principal, workload) {
            (Some(p), _) => match &p.kind {
                PrincipalKind::User { user_id, .. } => (ActorKind::User, user_id.to_string()),
                PrincipalKind::ApiKey { key_id, .. } => (ActorKind::ApiKey, key_id.to_string()),
            },
            (None, Some(identity)) if identity.service_account != "gateway" && identity.service_account != "edge" => {
                (ActorKind::Workload, identity.service_account.clone())
            }
            (None, _) => (ActorKind::Anonymous, String::new()),
        };
        AuditRecord {
            id: Uuid::now_v7(),
            tenant_id: None,
            kind: EventKind::Call,
            action: path.to_string(),
            actor_kind,
            actor_id,
            actor_role: principal.map(|p| role_name(p.role).to_string()).unwrap_or_default(),
            resource_ids: Vec::new(),
            origin_address: origin_address(headers, extensions),
            user_agent: user_agent(headers),
            trace_id: CallContext::current().map(|c| c.trace.trace_id).unwrap_or_default(),
            occurred_at: self.clock.now(),
            summary: serde_json::json!({}),
        }
    }

    fn start_record(&self, request: &Request<Body>, input: &MessageDescriptor) -> (AuditRecord, bool) {
        let principal = request.extensions().get::<Principal>();
        let mut record = self.base_record(request.uri().path(), request.headers(), request.extensions(), principal);
        let message = request.extensions().get::<DecodedRequest>().map(|DecodedRequest(m)| m.clone());
        let message = message.unwrap_or_else(|| DynamicMessage::new(input.clone()));
        let requested_tenant = ["customer_id", "tenant_id"].iter().find_map(|name| {
            message.get_field_by_name(name).and_then(|v| v.as_str().and_then(|s| s.trim().parse::<Uuid>().ok()))
        });
        let own_tenant = principal.and_then(|p| p.tenant).map(|t| t.0);
        record.tenant_id = own_tenant.or(requested_tenant);
        record.resource_ids = self.redaction.resource_ids(&message);
        record.summary = self.redaction.summary(&message);
        (record, own_tenant.is_some())
    }
}

impl<S> Middleware<S, Request<Body>> for AuditTrail
where
    S: Service<Request<Body>, Response = Response<Body>> + Send + 'static,
    S::Future: Send + 'static,
{
    fn call(&self, request: Request<Body>, mut inner: S) -> BoxFuture<'static, Result<S::Response, S::Error>> {
        let Some(input) = self.methods.get(request.uri().path()) else {
            return Box::pin(inner.call(request));
        };
        let (record, tenant_fixed) = self.start_record(&request, input);
        let call = Arc::new(AuditedCall { record, tenant_fixed, tenant_used: Mutex::new(None) });
        let database = self.database.clone();
        Box::pin(async move {
            let response = CURRENT_CALL.scope(call.clone(), inner.call(request)).await?;
            let outcome = outcome_of(response.headers());
            let record = call.record_in(Scope::Unscoped);
            match &database {
                Some(database) => {
                    if let Err(error) = outbox::finish(database, &record, &outcome).await {
                        // A committed change already has its record (outcome UNKNOWN
                        // until shipped); a refused call had nothing to record with.
                        tracing::error!(%error, action = %record.action, id = %record.id, "audit outcome not stored");
                    }
                }
                None => {
                    tracing::info!(target: "audit", action = %record.action, code = %outcome.code, "call without an outbox")
                }
            }
            Ok(response)
        })
    }
}

/// The outcome a response carries: its `grpc-status` (with the `ErrorInfo` reason of
/// a refusal) when it answers at once, else OK (a unary answer, or a stream that began).
fn outcome_of(headers: &HeaderMap) -> Outcome {
    match tonic::Status::from_header_map(headers) {
        Some(status) => outcome_of_status(&status),
        None => Outcome::ok(),
    }
}

fn outcome_of_status(status: &tonic::Status) -> Outcome {
    use tonic_types::StatusExt as _;
    if status.code() == tonic::Code::Ok {
        return Outcome::ok();
    }
    Outcome {
        code: code_name(status.code()).to_string(),
        reason: status.get_error_details().error_info().map(|info| info.reason.clone()).unwrap_or_default(),
    }
}

/// The canonical name of a gRPC code.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The client's address: the gateway's `x-forwarded-for` when the gateway forwarded
/// the call (only the gateway is trusted to set it), else the connection's peer.
fn origin_address(headers: &HeaderMap, extensions: &http::Extensions) -> String {
    let from_gateway = extensions
        .get::<CallerWorkload>()
        .is_some_and(|CallerWorkload(identity)| identity.service_account == "gateway");
    if from_gateway
        && let Some(forwarded) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(Ok(address)) = forwarded.split(',').next().map(|hop| hop.trim().parse::<IpAddr>())
    {
        return address.to_string();
    }
    extensions.get::<PeerInfo>().map(|peer| peer.remote_addr.ip().to_string()).unwrap_or_default()
}

/// The client's user agent: grpc-web clients send theirs as `x-user-agent`.
fn user_agent(headers: &HeaderMap) -> String {
    let agent = headers.get("x-user-agent").or_else(|| headers.get(http::header::USER_AGENT));
    let agent = agent.and_then(|v| v.to_str().ok()).unwrap_or_default();
    agent.chars().take(256).collect()
}
