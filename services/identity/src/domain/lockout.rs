//! Sign-in lockout rules. An account locks after `threshold` consecutive failures;
//! the first lock lasts `base`, and each further lock before a successful sign-in
//! lasts twice the previous one, up to `max`. Independently, no account takes more
//! than `max_failures_per_hour` failed attempts in an hour (attempts made while
//! locked count), so even an administrator unlocking it repeatedly cannot turn it
//! into a guessing oracle.

use chrono::{DateTime, Duration, Utc};

/// The thresholds, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    pub threshold: u32,
    pub base: Duration,
    pub max: Duration,
    pub max_failures_per_hour: u32,
}

/// An account's lockout bookkeeping (columns of the user row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockState {
    /// Failures since the last success or lock.
    pub consecutive_failures: i32,
    /// Locks since the last successful sign-in (drives the doubling).
    pub lock_count: i32,
    pub locked_until: Option<DateTime<Utc>>,
    /// Start of the current one-hour window of the hourly cap.
    pub window_start: Option<DateTime<Utc>>,
    pub failures_in_window: i32,
}

/// Why an attempt is refused before its password is even considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Locked { until: DateTime<Utc> },
    HourlyCapReached,
}

/// The outcome of recording a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterFailure {
    pub state: LockState,
    /// Set when this failure locked the account.
    pub newly_locked_until: Option<DateTime<Utc>>,
}

const WINDOW: Duration = Duration::hours(1);

impl LockoutPolicy {
    /// Whether an attempt at `now` is refused outright.
    pub fn refusal(&self, state: &LockState, now: DateTime<Utc>) -> Option<Refusal> {
        if let Some(until) = state.locked_until.filter(|until| *until > now) {
            return Some(Refusal::Locked { until });
        }
        if self.window_is_current(state, now) && state.failures_in_window >= self.max_failures_per_hour as i32 {
            return Some(Refusal::HourlyCapReached);
        }
        None
    }

    /// How long lock number `lock_number` (1-based) lasts.
    pub fn lock_duration(&self, lock_number: i32) -> Duration {
        let doublings = (lock_number - 1).clamp(0, 30) as u32;
        let seconds = self.base.num_seconds().saturating_mul(1i64 << doublings);
        Duration::seconds(seconds).min(self.max)
    }

    /// Records a failed attempt at `now`: a wrong password, or any attempt while
    /// locked (which counts towards the hourly cap but does not extend the lock, so
    /// an attacker cannot keep a victim locked out forever by guessing).
    pub fn after_failure(&self, state: &LockState, now: DateTime<Utc>) -> AfterFailure {
        let mut next = *state;
        if self.window_is_current(state, now) {
            next.failures_in_window = next.failures_in_window.saturating_add(1);
        } else {
            next.window_start = Some(now);
            next.failures_in_window = 1;
        }
        if matches!(self.refusal(state, now), Some(Refusal::Locked { .. })) {
            return AfterFailure { state: next, newly_locked_until: None };
        }
        next.consecutive_failures = next.consecutive_failures.saturating_add(1);
        if next.consecutive_failures < self.threshold as i32 {
            return AfterFailure { state: next, newly_locked_until: None };
        }
        next.consecutive_failures = 0;
        next.lock_count = next.lock_count.saturating_add(1);
        let until = now + self.lock_duration(next.lock_count);
        next.locked_until = Some(until);
        AfterFailure { state: next, newly_locked_until: Some(until) }
    }

    /// A successful sign-in clears the streak and the doubling (the hourly window
    /// stays: it counts failures, which a success does not undo).
    pub fn after_success(&self, state: &LockState) -> LockState {
        LockState { consecutive_failures: 0, lock_count: 0, locked_until: None, ..*state }
    }

    /// An administrator's unlock: as a success.
    pub fn unlocked(&self, state: &LockState) -> LockState {
        self.after_success(state)
    }

    fn window_is_current(&self, state: &LockState, now: DateTime<Utc>) -> bool {
        state.window_start.is_some_and(|start| now - start < WINDOW)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LockoutPolicy {
        LockoutPolicy {
            threshold: 5,
            base: Duration::minutes(15),
            max: Duration::hours(24),
            max_failures_per_hour: 100,
        }
    }

    fn fail(policy: &LockoutPolicy, state: &mut LockState, now: DateTime<Utc>, times: usize) -> Option<DateTime<Utc>> {
        let mut locked = None;
        for _ in 0..times {
            let outcome = policy.after_failure(state, now);
            *state = outcome.state;
            locked = locked.or(outcome.newly_locked_until);
        }
        locked
    }

    #[test]
    fn five_failures_lock_for_fifteen_minutes_then_thirty_then_an_hour() {
        let policy = policy();
        let mut state = LockState::default();
        let start = Utc::now();
        assert_eq!(fail(&policy, &mut state, start, 4), None);
        assert_eq!(policy.refusal(&state, start), None);
        let first = fail(&policy, &mut state, start, 1).unwrap();
        assert_eq!(first - start, Duration::minutes(15));
        assert_eq!(policy.refusal(&state, start), Some(Refusal::Locked { until: first }));

        // Attempts while locked do not extend the lock.
        assert_eq!(fail(&policy, &mut state, start + Duration::minutes(1), 10), None);
        assert_eq!(state.locked_until, Some(first));

        let later = first + Duration::seconds(1);
        assert_eq!(policy.refusal(&state, later), None);
        let second = fail(&policy, &mut state, later, 5).unwrap();
        assert_eq!(second - later, Duration::minutes(30));
        let third_start = second + Duration::seconds(1);
        let third = fail(&policy, &mut state, third_start, 5).unwrap();
        assert_eq!(third - third_start, Duration::hours(1));

        state = policy.after_success(&state);
        let fresh = fail(&policy, &mut state, third + Duration::hours(2), 5).unwrap();
        assert_eq!(fresh - (third + Duration::hours(2)), Duration::minutes(15));
    }

    #[test]
    fn locks_never_exceed_the_maximum() {
        assert_eq!(policy().lock_duration(1), Duration::minutes(15));
        assert_eq!(policy().lock_duration(7), Duration::hours(16));
        assert_eq!(policy().lock_duration(8), Duration::hours(24));
        assert_eq!(policy().lock_duration(1000), Duration::hours(24));
    }

    #[test]
    fn the_hourly_cap_holds_even_when_unlocked_repeatedly() {
        let policy = policy();
        let mut state = LockState::default();
        let now = Utc::now();
        for _ in 0..20 {
            fail(&policy, &mut state, now, 5);
            state = policy.unlocked(&state);
        }
        assert_eq!(state.failures_in_window, 100);
        assert_eq!(policy.refusal(&state, now), Some(Refusal::HourlyCapReached));
        assert_eq!(policy.refusal(&state, now + Duration::minutes(61)), None);
    }
}
