//! The alerts service against real PostgreSQL, Redis and mTLS gRPC, with identity and
//! tenancy running, time moved by the shared ManualClock, and receivers that are
//! real local HTTP servers checking what they are sent.

mod bad_input;
mod dispatching;
mod escalation;
mod receivers;
mod support;
