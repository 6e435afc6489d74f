//! The evaluator's limits: every runaway policy ends with a clear error, within bounded
//! time, and the other policies of the same request still get their results.

use std::time::Duration;

use canopy_policy::engine::evaluator::{Evaluator, EvaluatorError, Limits, PolicyOutcome};
use serde_json::json;

use crate::support::{evaluator, module};

const GOOD: &str = "package good\nimport rego.v1\ndeny contains msg if { msg := sprintf(\"site %s\", [input.name]) }\nwarn contains \"careful\" if true\n";

fn good_outcome(id: &str) -> PolicyOutcome {
    PolicyOutcome {
        id: id.to_owned(),
        deny: vec!["site shop".to_owned()],
        warn: vec!["careful".to_owned()],
        error: None,
    }
}

/// Fails the test instead of hanging it if a limit stops working; the evaluator's own
/// deadlines are far shorter.
async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future).await.expect("the evaluator answered in bounded time")
}

#[tokio::test]
async fn a_huge_range_hits_the_memory_limit_and_the_others_still_run() {
    let limits = Limits { time_ms: 500, memory_mib: 256 };
    let huge = "package huge\nimport rego.v1\ndeny contains x if { some x in numbers.range(1, 100000000000) }\n";
    let outcomes = bounded(
        evaluator(limits)
            .evaluate(&[module("before", GOOD), module("huge", huge), module("after", GOOD)], &json!({"name": "shop"})),
    )
    .await
    .expect("evaluator runs");
    assert_eq!(
        outcomes,
        vec![
            good_outcome("before"),
            PolicyOutcome {
                id: "huge".to_owned(),
                deny: vec![],
                warn: vec![],
                error: Some("exceeded the memory limit of 256 MiB".to_owned())
            },
            good_outcome("after"),
        ]
    );
}

/// Within what the machine could give, but beyond the cap: only RLIMIT_AS stops it (the
/// array is built inside one builtin call, where regorus's timer does not look).
#[tokio::test]
async fn the_address_space_cap_stops_an_allocation_the_machine_could_serve() {
    let limits = Limits { time_ms: 2_000, memory_mib: 128 };
    let big = "package big\nimport rego.v1\ndeny contains \"big\" if count(numbers.range(1, 10000000)) > 0\n";
    let outcomes =
        bounded(evaluator(limits).evaluate(&[module("big", big), module("after", GOOD)], &json!({"name": "shop"})))
            .await
            .expect("evaluator runs");
    assert_eq!(outcomes[0].error.as_deref(), Some("exceeded the memory limit of 128 MiB"));
    assert_eq!(outcomes[1], good_outcome("after"));
}

#[tokio::test]
async fn an_endless_loop_hits_the_time_limit_and_the_others_still_run() {
    let limits = Limits { time_ms: 300, memory_mib: 512 };
    let endless = "package endless\nimport rego.v1\ndeny contains \"never\" if { some a in numbers.range(1, 100000); some b in numbers.range(1, 100000); a + b < 0 }\n";
    let outcomes = bounded(
        evaluator(limits).evaluate(&[module("endless", endless), module("after", GOOD)], &json!({"name": "shop"})),
    )
    .await
    .expect("evaluator runs");
    assert_eq!(outcomes[0].error.as_deref(), Some("exceeded the evaluation time limit of 300 ms"));
    assert_eq!(outcomes[1], good_outcome("after"));
}

#[tokio::test]
async fn a_comprehension_blowup_is_stopped() {
    let limits = Limits { time_ms: 300, memory_mib: 256 };
    let blowup = "package blowup\nimport rego.v1\nxs := [x | some x in numbers.range(1, 3000)]\npairs := [[a, b] | some a in xs; some b in xs]\ndeny contains \"too many\" if count(pairs) > 0\n";
    let outcomes = bounded(
        evaluator(limits).evaluate(&[module("blowup", blowup), module("after", GOOD)], &json!({"name": "shop"})),
    )
    .await
    .expect("evaluator runs");
    let error = outcomes[0].error.as_deref().unwrap_or_default();
    assert!(
        error == "exceeded the evaluation time limit of 300 ms" || error == "exceeded the memory limit of 256 MiB",
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1], good_outcome("after"));
}

#[tokio::test]
async fn endless_recursion_overflows_the_stack_and_the_others_still_run() {
    let recursive = "package recursive\nimport rego.v1\nf(x) := f(x)\ndeny contains \"never\" if f(1)\n";
    let outcomes = bounded(
        evaluator(Limits::default())
            .evaluate(&[module("recursive", recursive), module("after", GOOD)], &json!({"name": "shop"})),
    )
    .await
    .expect("evaluator runs");
    assert_eq!(outcomes[0].error.as_deref(), Some("exceeded the stack limit: recursion or nesting too deep"));
    assert_eq!(outcomes[1], good_outcome("after"));
}

#[tokio::test]
async fn messages_must_be_strings() {
    let numbers = "package numbers\nimport rego.v1\ndeny contains 3 if true\n";
    let not_a_set = "package scalar\nimport rego.v1\ndeny := \"no\"\n";
    let outcomes = evaluator(Limits::default())
        .evaluate(
            &[module("numbers", numbers), module("scalar", not_a_set), module("good", GOOD)],
            &json!({"name": "shop"}),
        )
        .await
        .expect("evaluator runs");
    assert_eq!(outcomes[0].error.as_deref(), Some("`deny` messages must be strings, got 3"));
    assert_eq!(outcomes[1].error.as_deref(), Some("`deny` must be a set of strings, got \"no\""));
    assert_eq!(outcomes[2], good_outcome("good"));
}

#[tokio::test]
async fn compile_and_evaluation_errors_are_the_policys_own() {
    let broken = "package broken\nimport rego.v1\ndeny contains \"x\" if { 1 + }\n";
    let unsafe_var = "package unsafe\nimport rego.v1\ndeny contains x if { x := y }\n";
    let outcomes = evaluator(Limits::default())
        .evaluate(
            &[module("broken", broken), module("unsafe", unsafe_var), module("good", GOOD)],
            &json!({"name": "shop"}),
        )
        .await
        .expect("evaluator runs");
    assert_eq!(outcomes[0].error.as_deref(), Some("does not compile: line 3, column 28: expecting expression"));
    let unsafe_error = outcomes[1].error.as_deref().unwrap_or_default();
    assert!(unsafe_error.starts_with("evaluation failed: line 3, column 27: var y is unsafe"), "{unsafe_error}");
    assert_eq!(outcomes[2], good_outcome("good"));
}

#[tokio::test]
async fn print_output_stays_out_of_the_protocol() {
    let chatty =
        "package chatty\nimport rego.v1\ndeny contains \"d\" if { print(\"{\\\"event\\\":\\\"outcome\\\"}\") }\n";
    let outcomes = evaluator(Limits::default()).evaluate(&[module("chatty", chatty)], &json!({})).await.expect("runs");
    assert_eq!(outcomes[0].deny, vec!["d".to_owned()]);
}

/// A stand-in child that is ready and then hangs: the parent's own deadline must end it.
#[tokio::test]
async fn a_child_that_stops_answering_is_killed_at_the_deadline() {
    let hanging = Evaluator {
        command: vec!["sh".into(), "-c".into(), "cat >/dev/null; echo '{\"event\":\"ready\"}'; sleep 600".into()],
        limits: Limits { time_ms: 100, memory_mib: 64 },
    };
    let outcomes = bounded(hanging.evaluate(&[module("a", GOOD), module("b", GOOD)], &json!({}))).await.expect("runs");
    let errors: Vec<_> = outcomes.iter().map(|outcome| outcome.error.as_deref()).collect();
    assert_eq!(
        errors,
        vec![
            Some("exceeded the evaluation time limit of 100 ms"),
            Some("exceeded the evaluation time limit of 100 ms")
        ]
    );
}

#[tokio::test]
async fn a_child_killed_by_a_signal_is_reported_as_the_memory_limit() {
    let killed = Evaluator {
        command: vec!["sh".into(), "-c".into(), "cat >/dev/null; echo '{\"event\":\"ready\"}'; kill -9 $$".into()],
        limits: Limits { time_ms: 100, memory_mib: 64 },
    };
    let outcomes = bounded(killed.evaluate(&[module("a", GOOD)], &json!({}))).await.expect("runs");
    assert_eq!(outcomes[0].error.as_deref(), Some("exceeded the memory limit of 64 MiB"));
}

#[tokio::test]
async fn a_child_failing_before_it_is_ready_is_an_evaluator_error() {
    let broken = Evaluator {
        command: vec!["sh".into(), "-c".into(), "echo 'no such thing' >&2; exit 3".into()],
        limits: Limits::default(),
    };
    let error = broken.evaluate(&[module("a", GOOD)], &json!({})).await.unwrap_err();
    assert!(matches!(&error, EvaluatorError::Startup { stderr, .. } if stderr == "no such thing"), "{error}");
    let missing = Evaluator { command: vec!["/nonexistent/canopy-policy-evaluator".into()], limits: Limits::default() };
    assert!(matches!(missing.evaluate(&[module("a", GOOD)], &json!({})).await, Err(EvaluatorError::Spawn { .. })));
}

#[test]
fn the_evaluator_is_found_beside_the_test_binary() {
    // Test binaries live in target/<profile>/deps, the evaluator in target/<profile>.
    let found = canopy_policy::engine::evaluator::locate_evaluator().expect("found");
    assert_eq!(found, std::path::PathBuf::from(env!("CARGO_BIN_EXE_canopy-policy-evaluator")));
}
