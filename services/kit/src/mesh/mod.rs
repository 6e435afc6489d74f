//! The service mesh: workload identities in Linkerd's format, a dev PKI, rustls mTLS
//! on both ends of every service-to-service link, and the authorisation layer that
//! enforces `mesh/policy.toml` on every service.

mod authz;
mod identity;
mod pki;
mod policy;
mod stream;
mod tls;

pub use authz::{CallerWorkload, MeshAuthzLayer};
pub use identity::WorkloadIdentity;
pub use pki::{DevPki, LeafValidity, PkiError};
pub use policy::{MeshPolicy, PolicyError};
pub use stream::{MeshIncoming, MeshStream, PeerInfo, accept};
pub use tls::{MeshClientIdentity, TlsError, client_identity, server_config};
