//! The provider/region catalogue, shipped as data (`data/regions.json`). Its region
//! codes must equal the ones the Terraform site templates accept
//! (`terraform/sites/contract.json`); a test keeps the two in step.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use canopy_terraform::CloudProvider;

/// Provider name → region code → display name.
pub type Catalogue = BTreeMap<String, BTreeMap<String, String>>;

const REGIONS_JSON: &str = include_str!("../../data/regions.json");

/// The catalogue (parsed once; the file is compiled in, so it cannot be missing).
pub fn regions() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE
        .get_or_init(|| serde_json::from_str(REGIONS_JSON).expect("data/regions.json is valid (checked by a test)"))
}

/// Whether `provider` offers `region`.
pub fn has_region(provider: CloudProvider, region: &str) -> bool {
    regions().get(provider.as_str()).is_some_and(|r| r.contains_key(region))
}

/// The codes of `provider`, for error messages.
pub fn region_codes(provider: CloudProvider) -> Vec<&'static str> {
    regions().get(provider.as_str()).map(|r| r.keys().map(String::as_str).collect()).unwrap_or_default()
}
