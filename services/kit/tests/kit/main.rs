//! Integration tests of the kit against real PostgreSQL, Redis and mTLS over loopback.

mod access;
mod auth_caches;
mod catalog;
mod config;
mod database;
mod errors;
mod http;
mod mesh;
mod peers;
mod secrets;
mod support;
mod telemetry;
