//! What a fleet summary may be asked for. The bounds keep the deployment scan one
//! dashboard request can cause small: at most a year of deployments, at most 50
//! failures returned in full.

use canopy_kit::FieldViolation;
use chrono::{DateTime, Duration, Utc};

/// The deployment window when the request names no start: the last 24 hours.
pub const DEFAULT_WINDOW: Duration = Duration::hours(24);

/// The longest window, in days: a leap year, so "this year" always fits.
pub const MAX_WINDOW_DAYS: i64 = 366;

/// Failures listed when the request asks for none in particular.
pub const DEFAULT_FAILURES: i64 = 5;

/// The most failures one request may list.
pub const MAX_FAILURES: i64 = 50;

/// The start of the deployment window: `since`, or [`DEFAULT_WINDOW`] before `now`.
/// A start in the future or more than [`MAX_WINDOW_DAYS`] ago is a violation of `since`.
pub fn window_start(
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    violations: &mut Vec<FieldViolation>,
) -> DateTime<Utc> {
    let Some(since) = since else {
        return now - DEFAULT_WINDOW;
    };
    if since > now {
        violations.push(FieldViolation::new("since", "must not be in the future"));
    } else if since < now - Duration::days(MAX_WINDOW_DAYS) {
        violations.push(FieldViolation::new("since", format!("must be within the last {MAX_WINDOW_DAYS} days")));
    }
    since
}

/// How many failures to list: 0 asks for [`DEFAULT_FAILURES`]; 1 to [`MAX_FAILURES`]
/// as asked; anything else is a violation of `recent_failures_limit`.
pub fn failures_limit(requested: i32, violations: &mut Vec<FieldViolation>) -> i64 {
    match i64::from(requested) {
        0 => DEFAULT_FAILURES,
        limit @ 1..=MAX_FAILURES => limit,
        _ => {
            violations.push(FieldViolation::new(
                "recent_failures_limit",
                format!("must be 0 to {MAX_FAILURES} (0 means {DEFAULT_FAILURES})"),
            ));
            DEFAULT_FAILURES
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(violations: &[FieldViolation]) -> Vec<&str> {
        violations.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn the_window_defaults_to_a_day_and_stays_within_a_year_up_to_now() {
        let now = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z").unwrap().to_utc();
        let mut violations = Vec::new();
        assert_eq!(window_start(None, now, &mut violations), now - Duration::hours(24));
        let midnight = DateTime::parse_from_rfc3339("2026-03-01T00:00:00+01:00").unwrap().to_utc();
        assert_eq!(window_start(Some(midnight), now, &mut violations), midnight);
        assert_eq!(window_start(Some(now), now, &mut violations), now);
        let oldest = now - Duration::days(MAX_WINDOW_DAYS);
        assert_eq!(window_start(Some(oldest), now, &mut violations), oldest);
        assert!(violations.is_empty(), "{violations:?}");

        window_start(Some(now + Duration::seconds(1)), now, &mut violations);
        window_start(Some(oldest - Duration::seconds(1)), now, &mut violations);
        assert_eq!(fields(&violations), ["since", "since"]);
        assert_eq!(violations[0].description, "must not be in the future");
        assert_eq!(violations[1].description, "must be within the last 366 days");
    }

    #[test]
    fn the_failures_limit_defaults_to_five_and_is_at_most_fifty() {
        let mut violations = Vec::new();
        assert_eq!(failures_limit(0, &mut violations), 5);
        assert_eq!(failures_limit(1, &mut violations), 1);
        assert_eq!(failures_limit(50, &mut violations), 50);
        assert!(violations.is_empty());
        for refused in [-1, 51, i32::MIN, i32::MAX] {
            failures_limit(refused, &mut violations);
        }
        assert_eq!(fields(&violations), ["recent_failures_limit"; 4]);
    }
}
