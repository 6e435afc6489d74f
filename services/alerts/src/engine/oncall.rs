//! On-call schedules: who is on call at an instant.
//!
//! A schedule stacks rotation layers (PagerDuty's model): each layer hands off from
//! one user to the next every day, week or N hours, possibly only inside restriction
//! windows; where layers overlap, the one with the higher priority wins; overrides
//! (this user, this time range) win over every layer.

use chrono::{DateTime, Days, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::Violation;
use super::time_interval::TimeInterval;

/// A person who can be paged, as the identity service names them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub String);

impl From<&str> for UserId {
    fn from(id: &str) -> Self {
        Self(id.to_owned())
    }
}

/// How long each user's turn lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RotationLength {
    /// Hands off every day at the local wall-clock time of `rotation_start`, so a
    /// turn spanning a daylight-saving change lasts 23 or 25 hours.
    Daily,
    /// The same, every seven days.
    Weekly,
    /// Hands off every so many hours of real time, whatever the wall clock says.
    Hours(i64),
}

/// One rotation of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    pub name: String,
    /// Taking turns in this order, starting with the first at `rotation_start`.
    pub users: Vec<UserId>,
    pub rotation: RotationLength,
    /// The first hand-off; it also fixes the hand-off time of day (for daily and
    /// weekly rotations, on the wall clock of `time_zone`) and weekday.
    pub rotation_start: DateTime<Utc>,
    pub time_zone: Tz,
    /// When the layer takes effect; unset means at `rotation_start`.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// When the layer stops applying; unset means never.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Windows outside which the layer has nobody on call (`weekdays 09:00–17:00`),
    /// read on the layer's wall clock; none means always.
    #[serde(default)]
    pub restrictions: Vec<TimeInterval>,
    /// Where layers overlap in time, the higher priority is the one on call. Two
    /// overlapping layers must both have one, and differ.
    #[serde(default)]
    pub priority: Option<u32>,
}

/// A user on call for a range of time instead of whoever the layers say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub user: UserId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub name: String,
    pub layers: Vec<Layer>,
    /// Later overrides win over earlier ones where they overlap.
    #[serde(default)]
    pub overrides: Vec<Override>,
}

impl Schedule {
    /// Every problem with the schedule, under `schedule.`. (An unknown time zone
    /// cannot reach here: [`super::parse_time_zone`] refuses it at the edge, and a
    /// stored one fails to deserialise.)
    pub fn validate(&self) -> Vec<Violation> {
        let mut violations = Vec::new();
        if self.name.trim().is_empty() {
            violations.push(Violation::new("schedule.name", "is required"));
        }
        if self.layers.is_empty() {
            violations.push(Violation::new("schedule.layers", "at least one layer is required"));
        }
        for (index, layer) in self.layers.iter().enumerate() {
            let path = format!("schedule.layers[{index}]");
            if layer.users.is_empty() {
                violations.push(Violation::new(format!("{path}.users"), "a rotation needs at least one user"));
            }
            if let RotationLength::Hours(hours) = layer.rotation
                && hours <= 0
            {
                violations.push(Violation::new(format!("{path}.rotation"), "the rotation length must be positive"));
            }
            if let Some(ends_at) = layer.ends_at
                && ends_at <= layer.effective_start()
            {
                violations.push(Violation::new(format!("{path}.ends_at"), "must be after the layer starts"));
            }
            for (restriction, window) in layer.restrictions.iter().enumerate() {
                violations.extend(window.validate(&format!("{path}.restrictions[{restriction}]")));
            }
        }
        for (later, layer) in self.layers.iter().enumerate() {
            for (earlier, other) in self.layers.iter().enumerate().take(later) {
                let resolved = matches!((layer.priority, other.priority), (Some(a), Some(b)) if a != b);
                if !resolved && layer.overlaps(other) {
                    violations.push(Violation::new(
                        format!("schedule.layers[{later}].priority"),
                        format!(
                            "the layer overlaps schedule.layers[{earlier}] in time: give both distinct priorities so \
                             one overrides the other"
                        ),
                    ));
                }
            }
        }
        for (index, each) in self.overrides.iter().enumerate() {
            if each.user.0.trim().is_empty() {
                violations.push(Violation::new(format!("schedule.overrides[{index}].user"), "is required"));
            }
            if each.ends_at <= each.starts_at {
                violations
                    .push(Violation::new(format!("schedule.overrides[{index}].ends_at"), "must be after starts_at"));
            }
        }
        violations
    }

    /// Who is on call at `instant`, if anyone.
    pub fn on_call_at(&self, instant: DateTime<Utc>) -> Option<UserId> {
        if let Some(each) = self.overrides.iter().rev().find(|each| each.starts_at <= instant && instant < each.ends_at)
        {
            return Some(each.user.clone());
        }
        self.layers
            .iter()
            .enumerate()
            .filter_map(|(index, layer)| layer.on_call_at(instant).map(|user| ((layer.priority, index), user)))
            .max_by_key(|(rank, _)| *rank)
            .map(|(_, user)| user)
    }
}

impl Layer {
    fn effective_start(&self) -> DateTime<Utc> {
        self.starts_at.unwrap_or(self.rotation_start)
    }

    /// Whether the two layers' spans of time share an instant; restrictions are not
    /// considered, so layers covering days and nights of the same weeks still need
    /// priorities.
    fn overlaps(&self, other: &Layer) -> bool {
        let before = |end: Option<DateTime<Utc>>, start: DateTime<Utc>| end.is_some_and(|end| end <= start);
        !before(self.ends_at, other.effective_start()) && !before(other.ends_at, self.effective_start())
    }

    /// The layer's user at `instant`, or `None` outside its span or restrictions.
    pub fn on_call_at(&self, instant: DateTime<Utc>) -> Option<UserId> {
        if self.users.is_empty()
            || instant < self.effective_start()
            || self.ends_at.is_some_and(|ends_at| instant >= ends_at)
        {
            return None;
        }
        if !self.restrictions.is_empty()
            && !self.restrictions.iter().any(|window| window.contains_in(instant, self.time_zone))
        {
            return None;
        }
        let turn = self.turn_at(instant)?;
        let index = turn.rem_euclid(self.users.len() as i64) as usize;
        Some(self.users[index].clone())
    }

    /// The number of hand-offs since `rotation_start` (negative before it).
    fn turn_at(&self, instant: DateTime<Utc>) -> Option<i64> {
        let nominal = match self.rotation {
            RotationLength::Daily => TimeDelta::days(1),
            RotationLength::Weekly => TimeDelta::weeks(1),
            RotationLength::Hours(hours) if hours > 0 => TimeDelta::hours(hours),
            RotationLength::Hours(_) => return None,
        };
        // A first guess from real time, then corrected against the real hand-offs,
        // which daylight-saving changes move by an hour.
        let mut turn = (instant - self.rotation_start).num_seconds().div_euclid(nominal.num_seconds());
        while self.handoff(turn + 1)? <= instant {
            turn += 1;
        }
        while self.handoff(turn)? > instant {
            turn -= 1;
        }
        Some(turn)
    }

    /// The instant of hand-off number `turn`.
    fn handoff(&self, turn: i64) -> Option<DateTime<Utc>> {
        let days = match self.rotation {
            RotationLength::Hours(hours) => return Some(self.rotation_start + TimeDelta::hours(hours * turn)),
            RotationLength::Daily => turn,
            RotationLength::Weekly => turn * 7,
        };
        let first = self.rotation_start.with_timezone(&self.time_zone).naive_local();
        let local = if days >= 0 {
            first.checked_add_days(Days::new(days as u64))?
        } else {
            first.checked_sub_days(Days::new(days.unsigned_abs()))?
        };
        Some(wall_clock_to_utc(self.time_zone, local))
    }
}

/// The instant a wall-clock time names: the earlier one when the clock goes back
/// and it happens twice, and the end of the gap when the clock skips it.
fn wall_clock_to_utc(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    loop {
        match zone.from_local_datetime(&probe) {
            LocalResult::Single(instant) | LocalResult::Ambiguous(instant, _) => return instant.with_timezone(&Utc),
            // Gaps are at most a few hours; step through to the first real minute.
            LocalResult::None => probe += TimeDelta::minutes(15),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Europe::Berlin;

    use super::*;
    use crate::engine::parse_time_zone;
    use crate::engine::time_interval::{TimeRange, WeekdayRange};

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn users(names: &[&str]) -> Vec<UserId> {
        names.iter().map(|name| UserId::from(*name)).collect()
    }

    fn layer(names: &[&str], rotation: RotationLength, rotation_start: DateTime<Utc>) -> Layer {
        Layer {
            name: "primary".into(),
            users: users(names),
            rotation,
            rotation_start,
            time_zone: Berlin,
            starts_at: None,
            ends_at: None,
            restrictions: vec![],
            priority: None,
        }
    }

    fn schedule(layers: Vec<Layer>) -> Schedule {
        Schedule { name: "ops".into(), layers, overrides: vec![] }
    }

    fn who(schedule: &Schedule, instant: DateTime<Utc>) -> Option<String> {
        schedule.on_call_at(instant).map(|user| user.0)
    }

    const MINUTE: TimeDelta = TimeDelta::minutes(1);

    #[test]
    fn daily_handoff_keeps_the_wall_clock_across_daylight_saving() {
        // Hand-offs at 09:00 Berlin time; 2025-03-28 09:00 CET is 08:00 UTC.
        let ops = schedule(vec![layer(&["ada", "bob", "cy"], RotationLength::Daily, utc(2025, 3, 28, 8, 0))]);
        assert_eq!(ops.validate(), []);
        assert_eq!(who(&ops, utc(2025, 3, 28, 8, 0) - MINUTE), None, "before the layer starts");
        assert_eq!(who(&ops, utc(2025, 3, 28, 8, 0)).as_deref(), Some("ada"));
        // Saturday 2025-03-29, still CET: 09:00 is 08:00 UTC.
        assert_eq!(who(&ops, utc(2025, 3, 29, 8, 0) - MINUTE).as_deref(), Some("ada"));
        assert_eq!(who(&ops, utc(2025, 3, 29, 8, 0) + MINUTE).as_deref(), Some("bob"));
        // The clocks went forward in the night to Sunday 30th: 09:00 CEST is 07:00 UTC,
        // so bob's turn was 23 hours long.
        assert_eq!(who(&ops, utc(2025, 3, 30, 7, 0) - MINUTE).as_deref(), Some("bob"));
        assert_eq!(who(&ops, utc(2025, 3, 30, 7, 0) + MINUTE).as_deref(), Some("cy"));
        assert_eq!(who(&ops, utc(2025, 3, 31, 7, 0) - MINUTE).as_deref(), Some("cy"));
        assert_eq!(who(&ops, utc(2025, 3, 31, 7, 0) + MINUTE).as_deref(), Some("ada"), "back to the first user");
        // And back in October: 09:00 CET on Monday 27th is 08:00 UTC again.
        let day = who(&ops, utc(2025, 10, 27, 8, 0) - MINUTE);
        assert_ne!(day, who(&ops, utc(2025, 10, 27, 8, 0) + MINUTE));
        assert_eq!(day, who(&ops, utc(2025, 10, 27, 7, 0) + MINUTE), "not yet handed off at 08:01 CET");
    }

    #[test]
    fn hourly_rotation_ignores_the_wall_clock() {
        let ops = schedule(vec![layer(&["ada", "bob"], RotationLength::Hours(12), utc(2025, 3, 29, 8, 0))]);
        assert_eq!(who(&ops, utc(2025, 3, 29, 20, 0) - MINUTE).as_deref(), Some("ada"));
        assert_eq!(who(&ops, utc(2025, 3, 29, 20, 0)).as_deref(), Some("bob"));
        // Across the change, still every 12 real hours.
        assert_eq!(who(&ops, utc(2025, 3, 30, 8, 0) - MINUTE).as_deref(), Some("bob"));
        assert_eq!(who(&ops, utc(2025, 3, 30, 8, 0)).as_deref(), Some("ada"));
    }

    #[test]
    fn weekly_rotation() {
        // Monday 2025-03-03 09:00 CET.
        let ops = schedule(vec![layer(&["ada", "bob"], RotationLength::Weekly, utc(2025, 3, 3, 8, 0))]);
        assert_eq!(who(&ops, utc(2025, 3, 10, 8, 0) - MINUTE).as_deref(), Some("ada"));
        assert_eq!(who(&ops, utc(2025, 3, 10, 8, 0) + MINUTE).as_deref(), Some("bob"));
        // Monday 2025-03-31 is in summer time: the hand-off is at 07:00 UTC.
        assert_eq!(who(&ops, utc(2025, 3, 31, 7, 0) - MINUTE).as_deref(), Some("bob"));
        assert_eq!(who(&ops, utc(2025, 3, 31, 7, 0) + MINUTE).as_deref(), Some("ada"));
    }

    #[test]
    fn a_higher_layer_overrides_within_its_restrictions_and_overrides_win() {
        let mut weekdays = layer(&["dee"], RotationLength::Weekly, utc(2025, 3, 3, 8, 0));
        weekdays.priority = Some(2);
        weekdays.restrictions = vec![TimeInterval {
            times: vec![TimeRange::parse("09:00", "17:00").unwrap()],
            weekdays: vec![WeekdayRange::parse("monday:friday").unwrap()],
            ..TimeInterval::default()
        }];
        let mut base = layer(&["ada", "bob"], RotationLength::Daily, utc(2025, 3, 3, 8, 0));
        base.priority = Some(1);
        let mut ops = schedule(vec![base, weekdays]);
        assert_eq!(ops.validate(), []);
        // Tuesday 10:00 Berlin: the business-hours layer; 18:00: the base rotation.
        assert_eq!(who(&ops, utc(2025, 3, 4, 9, 0)).as_deref(), Some("dee"));
        assert_eq!(who(&ops, utc(2025, 3, 4, 17, 0)).as_deref(), Some("bob"));
        // Saturday 10:00: the restriction's weekdays exclude it.
        assert_eq!(who(&ops, utc(2025, 3, 8, 9, 0)).as_deref(), Some("bob"));

        ops.overrides = vec![
            Override { user: "eve".into(), starts_at: utc(2025, 3, 4, 0, 0), ends_at: utc(2025, 3, 5, 0, 0) },
            Override { user: "fay".into(), starts_at: utc(2025, 3, 4, 8, 0), ends_at: utc(2025, 3, 4, 10, 0) },
        ];
        assert_eq!(who(&ops, utc(2025, 3, 4, 9, 0)).as_deref(), Some("fay"), "the later override");
        assert_eq!(who(&ops, utc(2025, 3, 4, 17, 0)).as_deref(), Some("eve"));
        assert_eq!(who(&ops, utc(2025, 3, 5, 0, 0)).as_deref(), Some("bob"), "ends_at is exclusive");
    }

    #[test]
    fn overlapping_layers_need_distinct_priorities() {
        let start = utc(2025, 3, 3, 8, 0);
        let mut ops = schedule(vec![
            layer(&["ada"], RotationLength::Daily, start),
            layer(&["bob"], RotationLength::Daily, start),
        ]);
        let violations = ops.validate();
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, "schedule.layers[1].priority");
        assert!(violations[0].description.starts_with("the layer overlaps schedule.layers[0] in time"));

        ops.layers[0].priority = Some(1);
        ops.layers[1].priority = Some(1);
        assert_eq!(ops.validate().len(), 1, "equal priorities resolve nothing");
        ops.layers[1].priority = Some(2);
        assert_eq!(ops.validate(), []);

        // Back to back in time: no overlap, no priorities needed.
        let mut first = layer(&["ada"], RotationLength::Daily, start);
        first.ends_at = Some(start + TimeDelta::weeks(1));
        let mut second = layer(&["bob"], RotationLength::Daily, start);
        second.starts_at = Some(start + TimeDelta::weeks(1));
        let handed_over = schedule(vec![first, second]);
        assert_eq!(handed_over.validate(), []);
        assert_eq!(who(&handed_over, start + TimeDelta::weeks(1) - MINUTE).as_deref(), Some("ada"));
        assert_eq!(who(&handed_over, start + TimeDelta::weeks(1)).as_deref(), Some("bob"));
    }

    #[test]
    fn validation_refuses_empty_rotations_and_bad_lengths() {
        let mut empty = layer(&[], RotationLength::Hours(0), utc(2025, 3, 3, 8, 0));
        empty.ends_at = Some(utc(2025, 3, 3, 8, 0));
        let mut ops = schedule(vec![empty]);
        ops.overrides.push(Override {
            user: "eve".into(),
            starts_at: utc(2025, 3, 4, 0, 0),
            ends_at: utc(2025, 3, 4, 0, 0),
        });
        let fields: Vec<String> = ops.validate().into_iter().map(|v| v.field).collect();
        assert_eq!(
            fields,
            [
                "schedule.layers[0].users",
                "schedule.layers[0].rotation",
                "schedule.layers[0].ends_at",
                "schedule.overrides[0].ends_at"
            ]
        );
        assert_eq!(schedule(vec![]).validate()[0].field, "schedule.layers");
        assert_eq!(who(&ops, utc(2025, 3, 5, 0, 0)), None);
    }

    #[test]
    fn unknown_time_zones_are_refused() {
        let violation = parse_time_zone("schedule.layers[0].time_zone", "Mars/Olympus").unwrap_err();
        assert_eq!(violation.field, "schedule.layers[0].time_zone");
        assert_eq!(violation.description, "unknown time zone \"Mars/Olympus\"");
        assert_eq!(parse_time_zone("x", "Europe/Berlin").unwrap(), Berlin);

        let stored =
            serde_json::to_value(schedule(vec![layer(&["ada"], RotationLength::Daily, utc(2025, 3, 3, 8, 0))]))
                .unwrap();
        assert_eq!(stored["layers"][0]["time_zone"], "Europe/Berlin");
        let mut tampered = stored.clone();
        tampered["layers"][0]["time_zone"] = "Mars/Olympus".into();
        assert!(serde_json::from_value::<Schedule>(tampered).is_err());
        assert!(serde_json::from_value::<Schedule>(stored).is_ok());
    }
}
