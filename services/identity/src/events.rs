//! Security events: every sign-in and its failure, lockouts, MFA and password
//! changes, and key creation and revocation. Each is a row in
//! `identity.security_event` (tenant-scoped), a record in the audit outbox written in
//! the same transaction (so it reaches the audit trail as `security.<kind>`), and a
//! `tracing` line with target `security`. Details are chosen field by field; no
//! password, token, code or secret is ever put in one.

use canopy_kit::audit::{ActorKind, AuditRecord, EventKind};
use canopy_kit::db::{Database, Scope, TenantId};
use canopy_kit::events::{CanopyEvent, Severity};
use canopy_kit::telemetry::CallContext;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::{self, Tx};

/// One event.
#[derive(Debug, Clone)]
pub struct SecurityEvent {
    /// What happened, e.g. `sign_in_failed`.
    pub kind: &'static str,
    pub tenant_id: Option<Uuid>,
    /// The user it is about, when known.
    pub subject_user_id: Option<Uuid>,
    /// Who did it: `user:<id>`, `apikey:<id>`, `system` or `anonymous`.
    pub actor: String,
    pub source_address: Option<String>,
    /// Non-secret context (reasons, kids, key ids, roles).
    pub details: serde_json::Value,
}

impl SecurityEvent {
    pub fn new(kind: &'static str) -> Self {
        Self {
            kind,
            tenant_id: None,
            subject_user_id: None,
            actor: "anonymous".into(),
            source_address: None,
            details: serde_json::json!({}),
        }
    }

    pub fn subject(mut self, user_id: Uuid, tenant_id: Option<Uuid>) -> Self {
        self.subject_user_id = Some(user_id);
        self.tenant_id = tenant_id;
        self
    }

    pub fn tenant(mut self, tenant_id: Option<Uuid>) -> Self {
        self.tenant_id = tenant_id;
        self
    }

    pub fn actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = actor.into();
        self
    }

    pub fn source(mut self, address: Option<&str>) -> Self {
        self.source_address = address.map(str::to_string);
        self
    }

    pub fn detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        if let Some(map) = self.details.as_object_mut() {
            map.insert(key.to_string(), value.into());
        }
        self
    }

    /// The scope the row is written in: its tenant's, or the platform's for events
    /// without a tenant (platform users, unknown emails, keys).
    pub fn scope(&self) -> Scope {
        match self.tenant_id {
            Some(tenant) => Scope::Tenant(TenantId(tenant)),
            None => Scope::Platform,
        }
    }

    /// The event for alerting, for the kinds an operator should hear about: lockouts
    /// (someone is guessing passwords) and a reused refresh token (a stolen one).
    fn alert_event(&self, now: DateTime<Utc>) -> Option<CanopyEvent> {
        let severity = match self.kind {
            "account_locked" | "address_locked" => Severity::Warning,
            "refresh_token_reused" => Severity::Critical,
            _ => return None,
        };
        let mut event =
            CanopyEvent::new(format!("security_{}", self.kind), severity, format!("security: {}", self.kind), now);
        if let Some(tenant) = self.tenant_id {
            event = event.tenant(tenant);
        }
        if let Some(user) = self.subject_user_id {
            event = event.label("user_id", user);
        }
        if let Some(address) = &self.source_address {
            event = event.label("source_address", address);
        }
        Some(event)
    }

    /// The event as an audit record.
    fn audit_record(&self, now: DateTime<Utc>) -> AuditRecord {
        let (actor_kind, actor_id) = match self.actor.split_once(':') {
            Some(("user", id)) => (ActorKind::User, id.to_string()),
            Some(("apikey", id)) => (ActorKind::ApiKey, id.to_string()),
            _ if self.actor == "system" => (ActorKind::System, String::new()),
            _ => (ActorKind::Anonymous, String::new()),
        };
        AuditRecord {
            id: Uuid::now_v7(),
            tenant_id: self.tenant_id,
            kind: EventKind::Security,
            action: format!("security.{}", self.kind),
            actor_kind,
            actor_id,
            actor_role: String::new(),
            resource_ids: self.subject_user_id.map(|id| vec![id.to_string()]).unwrap_or_default(),
            origin_address: self.source_address.clone().unwrap_or_default(),
            user_agent: String::new(),
            trace_id: CallContext::current().map(|c| c.trace.trace_id).unwrap_or_default(),
            occurred_at: now,
            summary: self.details.clone(),
        }
    }

    fn log(&self) {
        tracing::info!(
            target: "security",
            kind = self.kind,
            tenant_id = self.tenant_id.map(|t| t.to_string()),
            subject_user_id = self.subject_user_id.map(|u| u.to_string()),
            actor = %self.actor,
            source_address = self.source_address.as_deref(),
            details = %self.details,
            "security event"
        );
    }
}

/// Writes `event` inside `tx` (which must be in a scope that may see its tenant), so
/// it commits or rolls back with the change it describes.
pub async fn record(tx: &mut Tx, event: &SecurityEvent, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    store::events::insert(
        tx,
        &store::events::NewEvent {
            tenant_id: event.tenant_id,
            occurred_at: now,
            kind: event.kind,
            subject_user_id: event.subject_user_id,
            actor: &event.actor,
            source_address: event.source_address.as_deref(),
            details: &event.details,
        },
    )
    .await?;
    canopy_kit::audit::outbox::record_event(tx, crate::MANIFEST.name, &event.audit_record(now)).await?;
    if let Some(alert) = event.alert_event(now) {
        canopy_kit::events::publish(tx, crate::MANIFEST.name, &alert).await?;
    }
    event.log();
    Ok(())
}

/// Writes `event` in a transaction of its own.
pub async fn record_alone(database: &Database, event: &SecurityEvent, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut tx = database.begin(event.scope()).await?;
    record(&mut tx, event, now).await?;
    tx.commit().await
}
