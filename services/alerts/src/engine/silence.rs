//! Silences: a user's "not now" for the alerts a set of matchers selects, for a while.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Violation;
use super::labels::Labels;
use super::matcher::{Matcher, all_match};

/// A silence as Alertmanager has it: it mutes every alert its matchers select while
/// `starts_at <= now < ends_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

/// Where a silence is in its life, as Alertmanager's API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SilenceState {
    Pending,
    Active,
    Expired,
}

impl Silence {
    /// The problems that make Alertmanager refuse a silence when it is created at
    /// `now`, with field paths under `silence.`.
    pub fn validate(&self, now: DateTime<Utc>) -> Vec<Violation> {
        let mut violations = Vec::new();
        if self.matchers.is_empty() {
            violations.push(Violation::new("silence.matchers", "at least one matcher is required"));
        } else if self.matchers.iter().all(|matcher| matcher.matches_value("")) {
            // Such a silence would also mute every alert lacking those labels, which
            // is almost never what the user meant.
            violations.push(Violation::new(
                "silence.matchers",
                "at least one matcher must not match the empty string, or the silence would mute almost everything",
            ));
        }
        if self.ends_at <= self.starts_at {
            violations.push(Violation::new("silence.ends_at", "must be after starts_at"));
        } else if self.ends_at <= now {
            violations.push(Violation::new("silence.ends_at", "is in the past: the silence would already be expired"));
        }
        if self.created_by.trim().is_empty() {
            violations.push(Violation::new("silence.created_by", "is required"));
        }
        if self.comment.trim().is_empty() {
            violations.push(Violation::new("silence.comment", "is required"));
        }
        violations
    }

    pub fn state(&self, now: DateTime<Utc>) -> SilenceState {
        if now < self.starts_at {
            SilenceState::Pending
        } else if now < self.ends_at {
            SilenceState::Active
        } else {
            SilenceState::Expired
        }
    }

    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.state(now) == SilenceState::Active
    }

    /// Whether the silence mutes an alert with these labels at `now`.
    pub fn mutes(&self, labels: &Labels, now: DateTime<Utc>) -> bool {
        self.is_active(now) && all_match(&self.matchers, labels)
    }
}

/// Whether any of the silences mutes the alert at `now`.
pub fn is_silenced(silences: &[Silence], labels: &Labels, now: DateTime<Utc>) -> bool {
    silences.iter().any(|silence| silence.mutes(labels, now))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, hour, minute, 0).unwrap()
    }

    fn silence(matchers: &[&str], starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Silence {
        Silence {
            matchers: matchers.iter().map(|text| Matcher::parse(text).unwrap()).collect(),
            starts_at,
            ends_at,
            created_by: "ada".into(),
            comment: "maintenance".into(),
        }
    }

    #[test]
    fn mutes_matching_alerts_only_while_active() {
        let window = silence(&[r#"job="web""#], at(10, 0), at(11, 0));
        let web: Labels = [("job", "web"), ("severity", "critical")].into_iter().collect();
        let api: Labels = [("job", "api")].into_iter().collect();
        assert!(!window.mutes(&web, at(9, 59)), "pending");
        assert!(window.mutes(&web, at(10, 0)));
        assert!(window.mutes(&web, at(10, 59)));
        assert!(!window.mutes(&web, at(11, 0)), "ends_at is exclusive");
        assert!(!window.mutes(&api, at(10, 30)));
        assert_eq!(window.state(at(9, 0)), SilenceState::Pending);
        assert_eq!(window.state(at(11, 0)), SilenceState::Expired);
        assert!(is_silenced(&[window], &web, at(10, 30)));
    }

    #[test]
    fn validation_refuses_what_alertmanager_refuses() {
        assert_eq!(silence(&[r#"job="web""#], at(10, 0), at(11, 0)).validate(at(10, 0)), []);

        let fields = |s: Silence, now| s.validate(now).into_iter().map(|v| v.field).collect::<Vec<_>>();
        assert_eq!(fields(silence(&[], at(10, 0), at(11, 0)), at(10, 0)), ["silence.matchers"]);
        // Each of these also matches an alert that lacks the label.
        assert_eq!(
            fields(silence(&[r#"job=~".*""#, r#"team!="ops""#], at(10, 0), at(11, 0)), at(10, 0)),
            ["silence.matchers"]
        );
        assert_eq!(fields(silence(&[r#"job="web""#], at(10, 0), at(9, 0)), at(8, 0)), ["silence.ends_at"]);
        let expired = silence(&[r#"job="web""#], at(10, 0), at(11, 0)).validate(at(11, 0));
        assert_eq!(expired[0].description, "is in the past: the silence would already be expired");
        let anonymous =
            Silence { created_by: " ".into(), comment: String::new(), ..silence(&["a=b"], at(10, 0), at(11, 0)) };
        assert_eq!(fields(anonymous, at(10, 0)), ["silence.created_by", "silence.comment"]);
    }
}
