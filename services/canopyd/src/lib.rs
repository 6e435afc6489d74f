//! canopyd: one binary that runs any set of Canopy services, each on its own port,
//! linked by mTLS. `canopyd dev` is the embedded default: it brings its own
//! PostgreSQL, Redis and PKI when none are configured.

pub mod dev;
pub mod generate;
pub mod host;
pub mod kubernetes;
pub mod portals;
pub mod registry;
