//! The alerting engine of Canopy, as pure domain code.
//!
//! Everything here is deterministic: time comes in as a parameter, never from the
//! system clock, and nothing does I/O. The service layer (gRPC, PostgreSQL, HTTP
//! receivers) feeds alerts in, calls `tick(now)` and delivers what comes out.

pub mod engine;
