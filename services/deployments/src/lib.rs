//! Deployments, their runs' queue entries and their log, in the `provisioner` schema —
//! the part of the provisioner that the sites service uses.
//!
//! * [`queue`] is for **the sites service**: it enqueues a deployment in the same
//!   transaction as its site change, reads deployments and their events in its caller's
//!   tenant scope, asks for cancellation, and applies finished outcomes to its sites — so
//!   site status follows deployments without the provisioner touching the sites schema.
//! * [`model`] holds the types both sides share: kinds, statuses, rows and events.
//! * [`events`] appends to a deployment's log and records its final status. The
//!   provisioner's workers build their fenced writes (`canopy_provisioner::runs`) on it.
//!
//! The workers, executors and their claim/lease/fencing live in `canopy-provisioner`,
//! which depends on this crate; sites depends on this crate alone, so it builds without
//! the executors. This crate also owns the schema's migrations
//! (`migrations/provisioner`), which the provisioner's manifest applies.
//!
//! Every function takes a connection that is already inside a scoped transaction
//! (`Database::begin`); the caller commits.

#![forbid(unsafe_code)]

pub mod events;
pub mod model;
pub mod queue;

use sqlx::migrate::Migrator;

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/provisioner");

/// The `provisioner` schema's migrations: the provisioner's manifest applies them, and
/// tests and tools migrate with them without hosting the service.
pub const fn migrator() -> &'static Migrator {
    &MIGRATIONS
}

/// NOTIFY channel of the deployment log: the payload is the deployment id, sent in the
/// same transaction as each append, so a watcher wakes as soon as the events are visible.
pub const EVENTS_CHANNEL: &str = "canopy_provisioner_events";

/// NOTIFY channel workers listen on: a run became claimable (payload empty).
pub const RUNS_CHANNEL: &str = "canopy_provisioner_runs";

/// NOTIFY channel for cancellation requests of running deployments (payload: deployment id).
pub const CANCEL_CHANNEL: &str = "canopy_provisioner_cancel";
