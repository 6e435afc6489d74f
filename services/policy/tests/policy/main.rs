//! The policy engine's tests: compile checks, the builtin kinds against plans of every
//! provider, and the evaluator's limits. Evaluation goes through the real
//! `canopy-policy-evaluator` binary, as the service runs it.

mod builtins;
mod compile;
mod evaluator;
mod sandbox_plans;
mod support;
