//! The audit service's handlers: reading and verifying the trail ([`AuditApi`]),
//! SIEM endpoints ([`SiemApi`]) and the ingest every service's outbox ships to
//! ([`IngestApi`]).

mod ingest;
mod read;
mod siem;

pub use ingest::IngestApi;
pub use read::{AuditApi, event_json, verify_chain};
pub use siem::SiemApi;

use canopy_kit::ApiError;

fn db(error: sqlx::Error) -> ApiError {
    canopy_kit::error::from_sqlx(error, "audit event")
}
