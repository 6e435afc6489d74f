//! The policy engine: Rego modules with `deny` and `warn` rules (the conftest convention),
//! evaluated on a Terraform plan and facts about the site, its customer and the deployment.
//!
//! * [`compile`] checks a module without running it: syntax, package, rules, size.
//! * [`builtin`] turns the forms an operator fills in (resource limits, security, cost)
//!   into readable Rego; [`definition`] reads them (or raw Rego) from the contract.
//! * [`input`] is the input document every policy reads.
//! * [`evaluator`] runs untrusted policies in a child process with time and memory limits,
//!   so a runaway policy costs a child, never the service.

pub mod builtin;
pub mod compile;
pub mod definition;
pub mod evaluator;
pub mod input;
