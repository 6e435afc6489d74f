//! Every service canopyd can run, each contributed by its crate as a `ServiceSpec`.
//! (The gateway is not here: it is the edge, not a mesh service; see `host.rs`.)

use canopy_kit::server::ServiceSpec;

/// Every service, in start-up order: identity first (everyone verifies callers
/// against it), then the services that call it.
pub const SERVICES: &[ServiceSpec] =
    &[canopy_identity::SPEC, canopy_tenancy::SPEC, canopy_provisioner::SPEC, canopy_sites::SPEC];

/// Looks up services by name; the error names the unknown one and lists the known.
pub fn select(names: &[String]) -> Result<Vec<ServiceSpec>, String> {
    if names.is_empty() {
        return Ok(SERVICES.to_vec());
    }
    names
        .iter()
        .map(|name| {
            SERVICES.iter().find(|spec| spec.name == name).copied().ok_or_else(|| {
                let known: Vec<&str> = SERVICES.iter().map(|s| s.name).collect();
                format!("--services: unknown service {name:?} (known: {})", known.join(", "))
            })
        })
        .collect()
}
