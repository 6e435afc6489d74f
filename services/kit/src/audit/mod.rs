//! The audit trail's recording side, shared by every service: every state-changing
//! call is recorded by the kit, never by a handler.
//!
//! * [`AuditTrail`] (a middleware inside the request boundary) starts a record for
//!   every Canopy method whose `idempotency_level` is not `NO_SIDE_EFFECTS`: the
//!   actor, the resource ids and a summary of the request with every field marked
//!   `canopy.options.v1.sensitive` left out ([`summary`]).
//! * While the handler runs, [`crate::db::Database::begin`] writes that record into the
//!   service's `audit_outbox` inside the handler's own transaction, so a change never
//!   commits without its record ([`outbox`]).
//! * When the handler has answered, the layer stores the outcome (gRPC code and
//!   reason) on the record, or writes the whole record when nothing was committed
//!   (a refused call).
//! * A job per service ships finished records, oldest first, to the audit service's
//!   `AppendAuditRecords`, and deletes them once appended: audit being down delays
//!   records, never loses them, and a retried batch is appended once.
//!
//! Services record other events (identity's security events) with
//! [`outbox::record_event`] in the transaction of the change they describe.

mod layer;
pub mod outbox;
mod record;
pub mod summary;

pub use layer::{AuditTrail, audited_methods, current_actor};
pub use record::{ActorKind, AuditRecord, EventKind};
