//! The alerts service against real PostgreSQL, Redis and mTLS gRPC, with identity and
//! tenancy running, time moved by the shared ManualClock, receivers that are real
//! local HTTP servers checking what they are sent, and an SMTP sink for the mail
//! tenancy sends on alerts' behalf.

mod bad_input;
mod dispatching;
mod email;
mod escalation;
mod receivers;
mod support;
