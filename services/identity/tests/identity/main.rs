//! Integration tests of the identity service: real PostgreSQL and Redis, gRPC over
//! mTLS on loopback, time moved with the test clock rather than slept.
//!
//! Clients reach identity as the `gateway` workload (how clients reach services) or,
//! for internal CredentialService calls, as `sites`.

mod api_keys;
mod lockout;
mod logs;
mod mfa;
mod redis_outage;
mod schema;
mod sessions;
mod startup;
mod support;
mod tokens;
mod users;
