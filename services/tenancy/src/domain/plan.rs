//! Plans and limits: a plan's limits with a customer's overrides applied.

/// The limits in force for a customer (also a plan's columns, hence `FromRow`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EffectiveLimits {
    pub max_sites: i32,
    pub max_deployments_per_month: i32,
    /// Provider names (`aws`, …); empty allows all.
    pub allowed_providers: Vec<String>,
    /// Region codes; empty allows all.
    pub allowed_regions: Vec<String>,
    /// `standard` or `premium`.
    pub rate_tier: String,
}

impl EffectiveLimits {
    /// Whether a site may use `provider` in `region`; the error says which is refused.
    pub fn allows_placement(&self, provider: &str, region: &str) -> Result<(), String> {
        if !self.allowed_providers.is_empty() && !self.allowed_providers.iter().any(|p| p == provider) {
            return Err(format!(
                "plan does not allow provider {provider}; allowed: {}",
                self.allowed_providers.join(", ")
            ));
        }
        if !region.is_empty() && !self.allowed_regions.is_empty() && !self.allowed_regions.iter().any(|r| r == region) {
            return Err(format!("plan does not allow region {region}; allowed: {}", self.allowed_regions.join(", ")));
        }
        Ok(())
    }
}

/// Plan ids: lowercase letter, then letters, digits or hyphens, at most 40.
pub fn valid_plan_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z'))
        && id.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
