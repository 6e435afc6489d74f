//! Integration tests of the gateway: every call goes through the gateway over real
//! TLS to an upstream over mesh mTLS, with real Redis (sessions, rate limits) and a
//! fresh PostgreSQL database per test.

mod authentication;
mod bad_input;
mod identity_e2e;
mod plan_tiers;
mod rate_limits;
mod redis_outage;
mod routing;
mod session_revocation;
mod streaming;
mod support;
mod web;
