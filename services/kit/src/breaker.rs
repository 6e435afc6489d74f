//! A small circuit breaker for a dependency every call needs (Redis, PostgreSQL):
//! after a few consecutive failures to reach it, every use fails at once for a short
//! period, then one probe goes through; its success closes the breaker, its failure
//! opens it again. So a dead or stalled dependency costs each call microseconds
//! instead of a timeout, and one that is back is noticed within the period.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The breaker is open: the use was not tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("recent attempts failed; retrying shortly")]
pub struct CircuitOpen;

/// A small circuit breaker: closed → (N failures) → open → (period) → one probe.
pub struct Breaker {
    /// The dependency, in logs and the `dependency` label of the metrics.
    dependency: &'static str,
    failures_to_open: u32,
    open_for: Duration,
    state: Mutex<BreakerState>,
}

impl std::fmt::Debug for Breaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breaker")
            .field("dependency", &self.dependency)
            .field("failures_to_open", &self.failures_to_open)
            .field("open_for", &self.open_for)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct BreakerState {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    /// When the probe in flight was let through. A probe whose use was dropped before
    /// it reported (a cancelled request, a timeout around it) never reports: after one
    /// more period it is presumed lost and another probe may go, so a cancelled probe
    /// cannot hold the breaker open for good.
    probe_since: Option<Instant>,
}

/// Whether an admitted use is the breaker's probe.
#[derive(Clone, Copy)]
pub struct Probe(bool);

impl Breaker {
    pub fn new(dependency: &'static str, failures_to_open: u32, open_for: Duration) -> Self {
        Self { dependency, failures_to_open, open_for, state: Mutex::default() }
    }

    /// Lets a use through (`Ok`, saying whether it is the probe) or refuses it while
    /// the breaker is open (`Err(CircuitOpen)`): the use must then not be tried.
    pub fn admit(&self) -> Result<Probe, CircuitOpen> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(open_until) = state.open_until else {
            return Ok(Probe(false));
        };
        let now = Instant::now();
        let probe_in_flight = state.probe_since.is_some_and(|since| now < since + self.open_for);
        if now < open_until || probe_in_flight {
            metrics::counter!("canopy_circuit_rejected_total", "dependency" => self.dependency).increment(1);
            return Err(CircuitOpen);
        }
        state.probe_since = Some(now);
        Ok(Probe(true))
    }

    /// Records whether an admitted use reached the dependency (an answer, even an
    /// error answer, counts as reached; a timeout or a refused connection does not).
    pub fn record(&self, reached: bool, probe: Probe) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if reached {
            if state.open_until.is_some() && probe.0 {
                tracing::info!(dependency = self.dependency, "answers again; circuit closed");
            }
            if probe.0 || state.open_until.is_none() {
                *state = BreakerState::default();
            }
            return;
        }
        state.consecutive_failures = state.consecutive_failures.saturating_add(1);
        if probe.0 || (state.open_until.is_none() && state.consecutive_failures >= self.failures_to_open) {
            if state.open_until.is_none() {
                tracing::warn!(
                    dependency = self.dependency,
                    failures = state.consecutive_failures,
                    "unreachable; circuit open"
                );
                metrics::counter!("canopy_circuit_opened_total", "dependency" => self.dependency).increment(1);
            }
            state.open_until = Some(Instant::now() + self.open_for);
            state.probe_since = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_consecutive_failures_and_lets_one_probe_through() {
        let breaker = Breaker::new("test", 3, Duration::from_secs(60));
        for _ in 0..3 {
            let probe = breaker.admit().expect("closed");
            breaker.record(false, probe);
        }
        assert!(matches!(breaker.admit(), Err(CircuitOpen)));
        breaker.state.lock().unwrap().open_until = Some(Instant::now() - Duration::from_millis(1));
        let probe = breaker.admit().expect("a probe after the open period");
        assert!(probe.0);
        assert!(matches!(breaker.admit(), Err(CircuitOpen)), "one probe at a time");
        breaker.record(false, probe);
        assert!(matches!(breaker.admit(), Err(CircuitOpen)), "a failed probe reopens");
        breaker.state.lock().unwrap().open_until = Some(Instant::now() - Duration::from_millis(1));
        let probe = breaker.admit().expect("next probe");
        breaker.record(true, probe);
        assert!(!breaker.admit().expect("closed again").0);
    }

    #[test]
    fn a_probe_that_never_reports_does_not_hold_the_breaker_open() {
        let breaker = Breaker::new("test", 1, Duration::from_millis(20));
        let first = breaker.admit().expect("closed");
        breaker.record(false, first);
        std::thread::sleep(Duration::from_millis(25));
        // The probe's use is dropped (cancelled) before it reports.
        let lost = breaker.admit().expect("a probe after the open period");
        assert!(lost.0);
        assert!(matches!(breaker.admit(), Err(CircuitOpen)), "one probe at a time while it may still report");
        std::thread::sleep(Duration::from_millis(25));
        let next = breaker.admit().expect("the lost probe no longer blocks");
        assert!(next.0);
        breaker.record(true, next);
        assert!(!breaker.admit().expect("closed again").0);
    }

    #[test]
    fn a_success_resets_the_count() {
        let breaker = Breaker::new("test", 3, Duration::from_secs(60));
        for _ in 0..2 {
            breaker.record(false, Probe(false));
        }
        breaker.record(true, Probe(false));
        breaker.record(false, Probe(false));
        assert!(breaker.admit().is_ok());
    }

    #[test]
    fn the_thresholds_are_the_configured_ones() {
        let breaker = Breaker::new("test", 5, Duration::from_millis(200));
        for _ in 0..4 {
            breaker.record(false, Probe(false));
        }
        assert!(breaker.admit().is_ok(), "four failures of five leave it closed");
        breaker.record(false, Probe(false));
        assert!(matches!(breaker.admit(), Err(CircuitOpen)));
        std::thread::sleep(Duration::from_millis(250));
        assert!(breaker.admit().expect("a probe once the configured period is over").0);
    }
}
