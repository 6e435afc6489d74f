//! Every service canopyd knows, started in-process with mTLS against real PostgreSQL
//! and Redis: each answers health, reflection and the system service to an allowed
//! workload, refuses others, and the database catalog proves isolation.

mod every_service;
mod isolation;
mod raw_codec;
