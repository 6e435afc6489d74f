//! Method policies, read from the descriptor set's `(canopy.options.v1.policy)`
//! options at start-up: the single source of who may call what. A Canopy method
//! without a valid policy stops the process from starting.

use std::collections::BTreeMap;

use canopy_sdk::proto::canopy::options::v1::{Audience, MethodPolicy, TenantScoping};
use prost_reflect::{DescriptorPool, Value};

/// Why the descriptor set's policies were refused.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("descriptor set: {0}")]
    Descriptor(String),
    #[error("{method}: {problem}")]
    InvalidPolicy { method: String, problem: String },
}

/// Every Canopy method's policy, by gRPC path (`/pkg.Service/Method`).
#[derive(Debug, Clone)]
pub struct MethodPolicies {
    by_path: BTreeMap<String, MethodPolicy>,
    /// Methods declared `idempotency_level = NO_SIDE_EFFECTS`: the only ones a
    /// suspended customer may still call.
    read_only: std::collections::BTreeSet<String>,
}

impl MethodPolicies {
    /// Reads and validates the policies of every method in a `canopy.*` package.
    pub fn from_descriptor_set(encoded: &[u8]) -> Result<Self, AccessError> {
        let pool = DescriptorPool::decode(encoded).map_err(|e| AccessError::Descriptor(e.to_string()))?;
        let extension = pool
            .get_extension_by_name("canopy.options.v1.policy")
            .ok_or_else(|| AccessError::Descriptor("extension canopy.options.v1.policy is missing".into()))?;
        let mut by_path = BTreeMap::new();
        let mut read_only = std::collections::BTreeSet::new();
        for service in pool.services().filter(|s| s.package_name().starts_with("canopy.")) {
            for method in service.methods() {
                let name = format!("/{}/{}", service.full_name(), method.name());
                let invalid =
                    |problem: &str| AccessError::InvalidPolicy { method: name.clone(), problem: problem.into() };
                let options = method.options();
                if !options.has_extension(&extension) {
                    return Err(invalid("has no (canopy.options.v1.policy) option"));
                }
                let policy: MethodPolicy = match options.get_extension(&extension).as_ref() {
                    Value::Message(message) => {
                        message.transcode_to().map_err(|e| invalid(&format!("unreadable policy: {e}")))?
                    }
                    _ => return Err(invalid("policy option is not a message")),
                };
                validate(&policy).map_err(invalid)?;
                // idempotency_level is field 34 of MethodOptions; NO_SIDE_EFFECTS = 1.
                let no_side_effects = options
                    .get_field_by_name("idempotency_level")
                    .is_some_and(|value| value.as_enum_number() == Some(1));
                if no_side_effects {
                    read_only.insert(name.clone());
                }
                by_path.insert(name, policy);
            }
        }
        Ok(Self { by_path, read_only })
    }

    /// The policy of the method at `path`, if it is a Canopy method.
    pub fn get(&self, path: &str) -> Option<&MethodPolicy> {
        self.by_path.get(path)
    }

    /// Whether the method at `path` is declared free of side effects.
    pub fn is_read_only(&self, path: &str) -> bool {
        self.read_only.contains(path)
    }

    /// Every method path and its policy, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &MethodPolicy)> {
        self.by_path.iter().map(|(path, policy)| (path.as_str(), policy))
    }
}

fn validate(policy: &MethodPolicy) -> Result<(), &'static str> {
    match policy.audience() {
        Audience::Unspecified => return Err("audience is unspecified"),
        Audience::Roles if policy.roles.is_empty() => return Err("audience ROLES lists no roles"),
        Audience::Roles => {}
        _ if !policy.roles.is_empty() => return Err("roles are only allowed with audience ROLES"),
        _ => {}
    }
    if policy.tenant_scoping() == TenantScoping::Unspecified {
        return Err("tenant_scoping is unspecified");
    }
    Ok(())
}
