//! The rules of policies: what a valid definition is, which policies apply to a site,
//! what a set of decisions does to a deployment, and who may override it.

use std::collections::BTreeMap;

use canopy_kit::FieldViolation;
use canopy_kit::auth::Principal;
use canopy_kit::db::Scope;
use canopy_kit::request::{human_text_field, optional_human_text};
use canopy_sdk::proto::canopy::options::v1::Role;
use canopy_sdk::proto::canopy::policy::v1 as proto;
use prost::Message as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::Policies;
use crate::engine::evaluator::PolicyModule;
use crate::store::{self, PolicyRow};

/// Longest policy name, in characters.
pub const NAME_MAX_CHARS: usize = 100;
/// Longest description, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 1000;
/// Most labels a scope may require.
pub const SCOPE_LABELS_MAX: usize = 20;

/// A definition that passed every check, ready to store.
#[derive(Debug, Clone)]
pub struct Draft {
    pub name: String,
    pub description: String,
    pub kind: &'static str,
    pub enforcement: &'static str,
    pub scope_customer_id: Option<Uuid>,
    pub scope_site_id: Option<Uuid>,
    pub scope_labels: BTreeMap<String, String>,
    pub enabled: bool,
    pub spec: Vec<u8>,
    pub rego: String,
    pub package: String,
}

/// Which tier a definition is for: the operator's, or a customer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Platform,
    Customer(Uuid),
}

/// Stored enforcement names ↔ the API's.
pub fn enforcement_name(level: proto::EnforcementLevel) -> Option<&'static str> {
    match level {
        proto::EnforcementLevel::Advisory => Some("advisory"),
        proto::EnforcementLevel::SoftMandatory => Some("soft_mandatory"),
        proto::EnforcementLevel::HardMandatory => Some("hard_mandatory"),
        proto::EnforcementLevel::Unspecified => None,
    }
}

pub fn enforcement_level(name: &str) -> proto::EnforcementLevel {
    match name {
        "advisory" => proto::EnforcementLevel::Advisory,
        "soft_mandatory" => proto::EnforcementLevel::SoftMandatory,
        "hard_mandatory" => proto::EnforcementLevel::HardMandatory,
        _ => proto::EnforcementLevel::Unspecified,
    }
}

pub fn kind_name(kind: proto::PolicyKind) -> Option<&'static str> {
    match kind {
        proto::PolicyKind::ResourceLimits => Some("resource_limits"),
        proto::PolicyKind::Security => Some("security"),
        proto::PolicyKind::Cost => Some("cost"),
        proto::PolicyKind::Custom => Some("custom"),
        proto::PolicyKind::Unspecified => None,
    }
}

pub fn policy_kind(name: &str) -> proto::PolicyKind {
    match name {
        "resource_limits" => proto::PolicyKind::ResourceLimits,
        "security" => proto::PolicyKind::Security,
        "cost" => proto::PolicyKind::Cost,
        "custom" => proto::PolicyKind::Custom,
        _ => proto::PolicyKind::Unspecified,
    }
}

/// Checks a definition for `tier`, pushing a violation per problem (field paths under
/// `policy.`). Returns `None` when anything is wrong. Scope ids are checked for
/// existence by the caller (they need the database and tenancy).
pub fn draft(spec: Option<&proto::PolicySpec>, tier: Tier, violations: &mut Vec<FieldViolation>) -> Option<Draft> {
    let Some(spec) = spec else {
        violations.push(FieldViolation::new("policy", "is required"));
        return None;
    };
    let before = violations.len();
    let name = human_text_field("policy.name", &spec.name, NAME_MAX_CHARS, violations);
    let description = match optional_human_text(&spec.description, DESCRIPTION_MAX_CHARS) {
        Ok(text) => text,
        Err(error) => {
            violations.push(error.violation("policy.description"));
            String::new()
        }
    };
    let level = proto::EnforcementLevel::try_from(spec.enforcement).unwrap_or_default();
    let enforcement = match (enforcement_name(level), tier) {
        (None, _) => {
            violations.push(FieldViolation::new(
                "policy.enforcement",
                "is required: advisory, soft-mandatory or hard-mandatory",
            ));
            "advisory"
        }
        (Some("hard_mandatory"), Tier::Customer(_)) => {
            violations.push(FieldViolation::new(
                "policy.enforcement",
                "a customer policy is advisory or soft-mandatory; hard-mandatory is for the operator's policies",
            ));
            "advisory"
        }
        (Some(name), _) => name,
    };
    let scope = spec.scope.clone().unwrap_or_default();
    let scope_customer_id = optional_uuid("policy.scope.customer_id", &scope.customer_id, violations);
    if let (Tier::Customer(own), Some(named)) = (tier, scope_customer_id)
        && own != named
    {
        violations.push(FieldViolation::new(
            "policy.scope.customer_id",
            "a customer policy applies to its own customer's sites only; leave it empty",
        ));
    }
    let scope_site_id = optional_uuid("policy.scope.site_id", &scope.site_id, violations);
    if scope.labels.len() > SCOPE_LABELS_MAX {
        violations.push(FieldViolation::new("policy.scope.labels", format!("at most {SCOPE_LABELS_MAX} labels")));
    }
    for (key, value) in &scope.labels {
        if !label_text(key) {
            violations.push(FieldViolation::new(
                format!("policy.scope.labels[{key}]"),
                "label keys are 1 to 63 of a-z, 0-9, '_' and '-'",
            ));
        }
        if !label_text(value) {
            violations.push(FieldViolation::new(
                format!("policy.scope.labels[{key}]"),
                "label values are 1 to 63 of a-z, 0-9, '_' and '-'",
            ));
        }
    }
    let definition = crate::engine::definition::rego_for(spec.definition.as_ref(), violations);
    if violations.len() > before {
        return None;
    }
    let (kind, rego, package) = definition?;
    let mut stored = spec.clone();
    stored.name = name.clone();
    stored.description = description.clone();
    Some(Draft {
        name,
        description,
        kind,
        enforcement,
        scope_customer_id,
        scope_site_id,
        scope_labels: scope.labels.into_iter().collect(),
        enabled: spec.enabled,
        spec: stored.encode_to_vec(),
        rego,
        package,
    })
}

fn optional_uuid(field: &str, value: &str, violations: &mut Vec<FieldViolation>) -> Option<Uuid> {
    canopy_kit::request::optional_id_field(field, value, violations)
}

/// The sites service's label rule: 1 to 63 of `[a-z0-9_-]`.
fn label_text(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// What one policy said about one plan, as stored and answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub policy_id: Uuid,
    pub policy_name: String,
    /// `platform` or `customer`.
    pub tier: String,
    pub enforcement: String,
    pub deny: Vec<String>,
    pub warn: Vec<String>,
    pub error: String,
}

impl Decision {
    /// A denial or an evaluation error: the policy did not pass.
    pub fn failed(&self) -> bool {
        !self.deny.is_empty() || !self.error.is_empty()
    }

    pub fn to_proto(&self) -> proto::Decision {
        proto::Decision {
            policy_id: self.policy_id.to_string(),
            policy_name: self.policy_name.clone(),
            tier: if self.tier == "platform" {
                proto::PolicyTier::Platform as i32
            } else {
                proto::PolicyTier::Customer as i32
            },
            enforcement: enforcement_level(&self.enforcement) as i32,
            deny: self.deny.clone(),
            warn: self.warn.clone(),
            error: self.error.clone(),
        }
    }
}

/// What a plan's decisions do to its deployment (`policy_check.state`).
pub fn check_state(decisions: &[Decision]) -> &'static str {
    let failed = |level: &str| decisions.iter().any(|d| d.enforcement == level && d.failed());
    if failed("hard_mandatory") {
        "refused"
    } else if failed("soft_mandatory") {
        "awaiting_override"
    } else if failed("advisory") {
        "advisory_failed"
    } else {
        "passed"
    }
}

/// Whether `principal` may override a check with these decisions: platform admins
/// any soft-mandatory failure, owners only when every such failure is their own
/// customer's policy. Hard-mandatory failures never reach a waiting state.
pub fn may_override(principal: &Principal, decisions: &[Decision]) -> bool {
    if principal.is_platform() {
        return principal.role == Role::PlatformAdmin;
    }
    principal.role == Role::Owner
        && decisions.iter().filter(|d| d.enforcement == "soft_mandatory" && d.failed()).all(|d| d.tier == "customer")
}

/// Whether a stored policy applies to a site.
pub fn applies(policy: &PolicyRow, tenant: Uuid, site: Uuid, labels: &BTreeMap<String, String>) -> bool {
    policy.enabled
        && policy.tenant_id.is_none_or(|owner| owner == tenant)
        && policy.scope_customer_id.is_none_or(|customer| customer == tenant)
        && policy.scope_site_id.is_none_or(|scoped| scoped == site)
        && policy.scope_labels.iter().all(|(key, value)| labels.get(key) == Some(value))
}

/// Site labels as the policy input carries them.
pub fn input_labels(input: &Value) -> BTreeMap<String, String> {
    input["site"]["labels"]
        .as_object()
        .map(|labels| labels.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
        .unwrap_or_default()
}

/// Evaluates every enabled policy that applies to the site on `input`. The
/// policies are read in the platform scope: a system operation spanning the
/// platform's policies and the customer's.
pub async fn evaluate_site(
    policies: &Policies,
    tenant: Uuid,
    site: Uuid,
    input: &Value,
) -> anyhow::Result<Vec<Decision>> {
    let labels = input_labels(input);
    let mut tx = policies.database.begin_read_only(Scope::Platform).await?;
    let rows = store::policies_for_tenant(&mut tx, tenant).await?;
    tx.commit().await?;
    let applicable: Vec<PolicyRow> = rows.into_iter().filter(|row| applies(row, tenant, site, &labels)).collect();
    evaluate_rows(policies, &applicable, input).await
}

/// Evaluates the given policies on `input` in one evaluator process.
pub async fn evaluate_rows(policies: &Policies, rows: &[PolicyRow], input: &Value) -> anyhow::Result<Vec<Decision>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let modules: Vec<PolicyModule> =
        rows.iter().map(|row| PolicyModule { id: row.id.to_string(), module: row.rego.clone() }).collect();
    let outcomes = policies.evaluator.evaluate(&modules, input).await?;
    Ok(rows
        .iter()
        .map(|row| {
            let outcome = outcomes.iter().find(|outcome| outcome.id == row.id.to_string());
            Decision {
                policy_id: row.id,
                policy_name: row.name.clone(),
                tier: if row.tenant_id.is_some() { "customer".into() } else { "platform".into() },
                enforcement: row.enforcement.clone(),
                deny: outcome.map(|o| o.deny.clone()).unwrap_or_default(),
                warn: outcome.map(|o| o.warn.clone()).unwrap_or_default(),
                error: match outcome {
                    Some(o) => o.error.clone().unwrap_or_default(),
                    None => "the evaluator returned no result for this policy".into(),
                },
            }
        })
        .collect())
}

/// Re-evaluates up to `limit` sites whose compliance went stale when a policy
/// changed. Returns how many.
pub async fn reevaluate_stale(policies: &Policies, limit: i64) -> anyhow::Result<usize> {
    // A system pass over every customer's sites: platform scope.
    let mut tx = policies.database.begin(Scope::Platform).await?;
    let stale = store::claim_stale_sites(&mut tx, limit).await?;
    for site in &stale {
        let decisions = evaluate_site(policies, site.tenant_id, site.site_id, &site.input).await?;
        store::record_compliance(
            &mut tx,
            site.tenant_id,
            site.site_id,
            site.deployment_id,
            &site.input,
            &decisions,
            policies.clock.now(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(stale.len())
}
