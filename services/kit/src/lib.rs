//! The shared runtime of every Canopy service.
//!
//! A service crate provides a [`manifest::ServiceManifest`] (its name, schema,
//! migrations, the peers it calls, its jobs and routes); the kit does the rest: peers
//! across processes ([`peers`]), configuration ([`config`]), PostgreSQL with the
//! role model, migrations and tenant-scoped transactions ([`db`]), Redis ([`redis_store`]),
//! the error model ([`error`]), logs/traces/metrics ([`telemetry`]), mTLS and the mesh
//! policy ([`mesh`]), method policies from the contracts ([`access`]), the request boundary
//! ([`request`]: parsing helpers, the human-text rule, the layer refusing NUL), and hosting with
//! health, reflection, the system service and graceful shutdown ([`server`]).

pub mod access;
pub mod audit;
pub mod auth;
pub mod breaker;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod http;
pub mod local;
pub mod manifest;
pub mod mesh;
pub mod middleware;
pub mod money;
mod outbox;
pub mod paging;
pub mod peers;
pub mod redis_store;
pub mod request;
pub mod secrets;
pub mod server;
pub mod system;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhook;

pub use error::{ApiError, FieldViolation};
