//! Every service canopyd knows, started in-process with mTLS against real PostgreSQL
//! and Redis: each answers health, reflection and the system service to an allowed
//! workload, refuses others, the database catalog proves isolation, and no request
//! field, however hostile, gets an INTERNAL answer; every state-changing call leaves
//! exactly one audit record.

mod alert_events;
mod audit_trail;
mod commerce;
mod costs;
mod every_service;
mod hook;
mod hostile_input;
mod isolation;
mod policy_checks;
mod raw_codec;
