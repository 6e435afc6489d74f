//! The canopyd binary as an operator runs it: `dev` from nothing to healthy and back
//! to nothing, and every bad start-up ends with exit code 1 and one clear line.

mod bad_input;
mod dev;
mod distributed;
mod generated;
mod support;
mod worker_kill;
