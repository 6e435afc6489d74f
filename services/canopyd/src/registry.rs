//! Every service canopyd can run: one line per service, its crate's manifest. The
//! binary, the mesh policy, the Kubernetes manifests, dev seeding and the
//! cross-service tests all derive from this list. (The gateway is not here: it is
//! the edge, hosting no API of its own; see `host.rs`.)

use canopy_kit::manifest::{ManifestError, Registry, ServiceManifest};

/// Every service, in registration order (start order follows each manifest's `after`).
pub const MANIFESTS: &[&ServiceManifest] = &[
    &canopy_identity::MANIFEST,
    &canopy_tenancy::MANIFEST,
    &canopy_provisioner::MANIFEST,
    &canopy_sites::MANIFEST,
    &canopy_audit::MANIFEST,
    &canopy_alerts::MANIFEST,
    &canopy_policy::MANIFEST,
    &canopy_cost::MANIFEST,
    &canopy_commerce::MANIFEST,
];

/// Workloads that are not services but may reach the operational surfaces in the
/// mesh (health, reflection, system info): operator tooling such as grpcurl.
pub const OPERATOR_WORKLOADS: &[&str] = &["canopyctl"];

/// The validated registry of [`MANIFESTS`].
pub fn registry() -> Result<Registry, ManifestError> {
    Registry::new(MANIFESTS)
}
