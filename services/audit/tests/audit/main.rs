//! The audit service against real PostgreSQL, Redis and mTLS gRPC, with identity and
//! tenancy running so real calls leave real records.

mod siem;
mod support;
mod tamper;
mod trail;
