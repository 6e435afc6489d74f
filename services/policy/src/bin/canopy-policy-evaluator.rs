//! Evaluates Rego policies for the policy service in a process of its own, so a policy
//! that exhausts memory or time takes down this child and nothing else. The protocol is
//! described in `canopy_policy::engine::evaluator`.

fn main() -> std::process::ExitCode {
    canopy_policy::engine::evaluator::serve_stdio()
}
