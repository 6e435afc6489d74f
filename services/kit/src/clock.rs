//! Time as a dependency, so tests control it (token expiry, session timeouts,
//! lockouts) instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug, Clone)]
pub struct ManualClock {
    micros: Arc<AtomicI64>,
}

impl ManualClock {
    /// Starts at the current system time.
    pub fn new() -> Self {
        Self { micros: Arc::new(AtomicI64::new(Utc::now().timestamp_micros())) }
    }

    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        self.micros.fetch_add(by.num_microseconds().expect("test durations fit"), Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.micros.load(Ordering::SeqCst)).expect("valid timestamp")
    }
}

/// The clock services share.
pub type SharedClock = Arc<dyn Clock>;
