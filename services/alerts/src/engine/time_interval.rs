//! Named time windows (`weekdays 09:00–17:00 in Europe/Berlin`) that mute a route
//! or gate it, as Alertmanager's `time_intervals`.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Violation;

/// Why a range written as text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RangeError {
    #[error("{0:?} is not a {1}")]
    Unknown(String, &'static str),
    #[error("range {0:?} ends before it starts")]
    Backwards(String),
    #[error("{0:?} is not a time of day as HH:MM between 00:00 and 24:00")]
    BadTime(String),
}

/// A set of windows under one name; it contains an instant when any window does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedTimeInterval {
    pub name: String,
    pub intervals: Vec<TimeInterval>,
}

impl NamedTimeInterval {
    pub fn contains(&self, instant: DateTime<Utc>) -> bool {
        self.intervals.iter().any(|interval| interval.contains(instant))
    }
}

/// One window: every field that is non-empty must hold (a field's ranges are
/// alternatives), read on the wall clock of `location`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeInterval {
    #[serde(default)]
    pub times: Vec<TimeRange>,
    #[serde(default)]
    pub weekdays: Vec<WeekdayRange>,
    #[serde(default)]
    pub days_of_month: Vec<DayOfMonthRange>,
    #[serde(default)]
    pub months: Vec<MonthRange>,
    #[serde(default)]
    pub years: Vec<YearRange>,
    /// Alertmanager's default is UTC.
    #[serde(default = "utc")]
    pub location: Tz,
}

fn utc() -> Tz {
    Tz::UTC
}

impl Default for TimeInterval {
    fn default() -> Self {
        Self {
            times: Vec::new(),
            weekdays: Vec::new(),
            days_of_month: Vec::new(),
            months: Vec::new(),
            years: Vec::new(),
            location: Tz::UTC,
        }
    }
}

impl TimeInterval {
    pub fn contains(&self, instant: DateTime<Utc>) -> bool {
        self.contains_in(instant, self.location)
    }

    /// Reads the window on `zone`'s wall clock instead of its own location (on-call
    /// restrictions are read in their layer's zone).
    pub fn contains_in(&self, instant: DateTime<Utc>, zone: Tz) -> bool {
        let local = instant.with_timezone(&zone);
        let minute = local.hour() * 60 + local.minute();
        let weekday = local.weekday().num_days_from_sunday();
        let days_in_month = days_in_month(local.year(), local.month());
        (self.times.is_empty()
            || self.times.iter().any(|range| range.start_minute <= minute && minute < range.end_minute))
            && (self.weekdays.is_empty() || self.weekdays.iter().any(|range| range.contains(weekday)))
            && (self.days_of_month.is_empty()
                || self.days_of_month.iter().any(|range| range.contains(local.day(), days_in_month)))
            && (self.months.is_empty()
                || self.months.iter().any(|range| range.start <= local.month() && local.month() <= range.end))
            && (self.years.is_empty()
                || self.years.iter().any(|range| range.start <= local.year() && local.year() <= range.end))
    }

    /// Range problems of a window built field by field, under `path`.
    pub fn validate(&self, path: &str) -> Vec<Violation> {
        let mut violations = Vec::new();
        for (index, range) in self.times.iter().enumerate() {
            if range.end_minute > 24 * 60 || range.start_minute >= range.end_minute {
                violations.push(Violation::new(
                    format!("{path}.times[{index}]"),
                    "start must be before end, within 00:00 to 24:00",
                ));
            }
        }
        for (index, range) in self.weekdays.iter().enumerate() {
            if range.start > 6 || range.end > 6 || range.start > range.end {
                violations
                    .push(Violation::new(format!("{path}.weekdays[{index}]"), "must run from sunday to saturday"));
            }
        }
        for (index, range) in self.days_of_month.iter().enumerate() {
            let valid = |day: i32| (1..=31).contains(&day) || (-31..=-1).contains(&day);
            let backwards = range.start.signum() == range.end.signum() && range.start > range.end;
            if !valid(range.start) || !valid(range.end) || backwards {
                violations.push(Violation::new(
                    format!("{path}.days_of_month[{index}]"),
                    "days are 1 to 31, or -1 (the last day) to -31, and the range must not run backwards",
                ));
            }
        }
        for (index, range) in self.months.iter().enumerate() {
            if !(1..=12).contains(&range.start) || !(1..=12).contains(&range.end) || range.start > range.end {
                violations.push(Violation::new(format!("{path}.months[{index}]"), "months are 1 to 12, in order"));
            }
        }
        for (index, range) in self.years.iter().enumerate() {
            if range.start > range.end {
                violations.push(Violation::new(format!("{path}.years[{index}]"), "the range ends before it starts"));
            }
        }
        violations
    }
}

/// Minutes of the day, `[start, end)`; `end` may be 1440 (`24:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    pub start_minute: u32,
    pub end_minute: u32,
}

impl TimeRange {
    /// Reads Alertmanager's `start_time`/`end_time` pair (`"09:00"`, `"17:30"`).
    pub fn parse(start: &str, end: &str) -> Result<Self, RangeError> {
        let start_minute = parse_clock(start)?;
        let end_minute = parse_clock(end)?;
        if start_minute >= end_minute {
            return Err(RangeError::Backwards(format!("{start}-{end}")));
        }
        Ok(Self { start_minute, end_minute })
    }
}

fn parse_clock(text: &str) -> Result<u32, RangeError> {
    let bad = || RangeError::BadTime(text.to_owned());
    let (hours, minutes) = text.split_once(':').ok_or_else(bad)?;
    let (hours, minutes): (u32, u32) = (hours.parse().map_err(|_| bad())?, minutes.parse().map_err(|_| bad())?);
    if minutes >= 60 || hours > 24 || (hours == 24 && minutes > 0) || text.len() != 5 {
        return Err(bad());
    }
    Ok(hours * 60 + minutes)
}

/// Days of the week, inclusive, 0 = Sunday as in Alertmanager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekdayRange {
    pub start: u32,
    pub end: u32,
}

const WEEKDAYS: [&str; 7] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

impl WeekdayRange {
    /// Reads `monday:friday` or `saturday`.
    pub fn parse(text: &str) -> Result<Self, RangeError> {
        let day = |name: &str| {
            WEEKDAYS
                .iter()
                .position(|day| day.eq_ignore_ascii_case(name.trim()))
                .map(|index| index as u32)
                .ok_or_else(|| RangeError::Unknown(name.to_owned(), "weekday"))
        };
        let (start, end) = split_range(text);
        let range = Self { start: day(start)?, end: day(end)? };
        if range.start > range.end {
            return Err(RangeError::Backwards(text.to_owned()));
        }
        Ok(range)
    }

    fn contains(&self, weekday: u32) -> bool {
        self.start <= weekday && weekday <= self.end
    }
}

/// Days of the month, inclusive; negative days count from the month's end (-1 is
/// its last day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayOfMonthRange {
    pub start: i32,
    pub end: i32,
}

impl DayOfMonthRange {
    /// Reads `1:5`, `-3:-1` or `15`.
    pub fn parse(text: &str) -> Result<Self, RangeError> {
        let day = |part: &str| {
            part.trim()
                .parse::<i32>()
                .ok()
                .filter(|day| (1..=31).contains(day) || (-31..=-1).contains(day))
                .ok_or_else(|| RangeError::Unknown(part.to_owned(), "day of the month"))
        };
        let (start, end) = split_range(text);
        let range = Self { start: day(start)?, end: day(end)? };
        if range.start.signum() == range.end.signum() && range.start > range.end {
            return Err(RangeError::Backwards(text.to_owned()));
        }
        Ok(range)
    }

    fn contains(&self, day: u32, days_in_month: u32) -> bool {
        let resolve = |day: i32| if day < 0 { days_in_month as i32 + day + 1 } else { day };
        // A day past the month's end (31 in April) is clamped to its last day.
        let start = resolve(self.start).max(1);
        let end = resolve(self.end).min(days_in_month as i32);
        start <= day as i32 && day as i32 <= end
    }
}

/// Months, inclusive, 1 = January.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthRange {
    pub start: u32,
    pub end: u32,
}

impl MonthRange {
    /// Reads `january:march`, `1:3` or `december`.
    pub fn parse(text: &str) -> Result<Self, RangeError> {
        let month = |part: &str| {
            let part = part.trim();
            MONTHS
                .iter()
                .position(|month| month.eq_ignore_ascii_case(part))
                .map(|index| index as u32 + 1)
                .or_else(|| part.parse::<u32>().ok().filter(|month| (1..=12).contains(month)))
                .ok_or_else(|| RangeError::Unknown(part.to_owned(), "month"))
        };
        let (start, end) = split_range(text);
        let range = Self { start: month(start)?, end: month(end)? };
        if range.start > range.end {
            return Err(RangeError::Backwards(text.to_owned()));
        }
        Ok(range)
    }
}

/// Years, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearRange {
    pub start: i32,
    pub end: i32,
}

impl YearRange {
    /// Reads `2025:2026` or `2025`.
    pub fn parse(text: &str) -> Result<Self, RangeError> {
        let year = |part: &str| part.trim().parse::<i32>().map_err(|_| RangeError::Unknown(part.to_owned(), "year"));
        let (start, end) = split_range(text);
        let range = Self { start: year(start)?, end: year(end)? };
        if range.start > range.end {
            return Err(RangeError::Backwards(text.to_owned()));
        }
        Ok(range)
    }
}

/// `a:b` → (a, b); a single value is a range of one.
fn split_range(text: &str) -> (&str, &str) {
    text.split_once(':').unwrap_or((text, text))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)
        .and_then(|first| first.pred_opt())
        .map(|last| last.day())
        .unwrap_or(31)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn business_hours(location: Tz) -> TimeInterval {
        TimeInterval {
            times: vec![TimeRange::parse("09:00", "17:00").unwrap()],
            weekdays: vec![WeekdayRange::parse("monday:friday").unwrap()],
            location,
            ..TimeInterval::default()
        }
    }

    #[test]
    fn business_hours_on_the_local_wall_clock() {
        let hours = business_hours(chrono_tz::Europe::Berlin);
        // 2025-03-03 is a Monday; Berlin is UTC+1 in winter.
        assert!(!hours.contains(utc(2025, 3, 3, 7, 59)), "08:59 in Berlin");
        assert!(hours.contains(utc(2025, 3, 3, 8, 0)), "09:00 in Berlin");
        assert!(hours.contains(utc(2025, 3, 3, 15, 59)));
        assert!(!hours.contains(utc(2025, 3, 3, 16, 0)), "17:00 is the exclusive end");
        // Saturday.
        assert!(!hours.contains(utc(2025, 3, 8, 10, 0)));
        // After the switch to summer time (UTC+2) the window moves in UTC.
        assert!(hours.contains(utc(2025, 3, 31, 7, 0)), "09:00 CEST");
        assert!(!hours.contains(utc(2025, 3, 31, 15, 0)), "17:00 CEST");
    }

    #[test]
    fn days_of_month_count_from_the_end() {
        let last_days =
            TimeInterval { days_of_month: vec![DayOfMonthRange::parse("-2:-1").unwrap()], ..TimeInterval::default() };
        assert!(last_days.contains(utc(2024, 2, 28, 12, 0)), "leap february: 28th is second to last");
        assert!(!last_days.contains(utc(2024, 2, 27, 12, 0)));
        assert!(last_days.contains(utc(2025, 4, 30, 12, 0)));
        let early = TimeInterval { days_of_month: vec![DayOfMonthRange::parse("1:7").unwrap()], ..Default::default() };
        assert!(early.contains(utc(2025, 4, 7, 23, 59)));
        assert!(!early.contains(utc(2025, 4, 8, 0, 0)));
    }

    #[test]
    fn months_and_years() {
        let winter = TimeInterval {
            months: vec![MonthRange::parse("december").unwrap(), MonthRange::parse("january:february").unwrap()],
            years: vec![YearRange::parse("2025:2026").unwrap()],
            ..TimeInterval::default()
        };
        assert!(winter.contains(utc(2025, 1, 15, 0, 0)));
        assert!(winter.contains(utc(2025, 12, 1, 0, 0)));
        assert!(!winter.contains(utc(2025, 3, 1, 0, 0)));
        assert!(!winter.contains(utc(2027, 1, 1, 0, 0)));
        let named = NamedTimeInterval { name: "winter".into(), intervals: vec![winter] };
        assert!(named.contains(utc(2026, 2, 1, 0, 0)));
    }

    #[test]
    fn parse_errors() {
        assert_eq!(WeekdayRange::parse("funday").unwrap_err().to_string(), "\"funday\" is not a weekday");
        assert_eq!(WeekdayRange::parse("friday:monday").unwrap_err(), RangeError::Backwards("friday:monday".into()));
        assert!(TimeRange::parse("17:00", "09:00").is_err());
        assert!(TimeRange::parse("9:00", "10:00").is_err());
        assert_eq!(TimeRange::parse("00:00", "24:00").unwrap().end_minute, 1440);
        assert!(TimeRange::parse("00:00", "24:01").is_err());
        assert!(DayOfMonthRange::parse("0").is_err());
        assert!(MonthRange::parse("13").is_err());
        assert_eq!(MonthRange::parse("3:june").unwrap(), MonthRange { start: 3, end: 6 });
    }

    #[test]
    fn validation_of_hand_built_ranges() {
        let bad = TimeInterval {
            times: vec![TimeRange { start_minute: 600, end_minute: 60 }],
            weekdays: vec![WeekdayRange { start: 2, end: 9 }],
            ..TimeInterval::default()
        };
        let fields: Vec<String> = bad.validate("time_intervals[0].intervals[0]").into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["time_intervals[0].intervals[0].times[0]", "time_intervals[0].intervals[0].weekdays[0]"]);
        assert_eq!(business_hours(Tz::UTC).validate("x"), []);
    }

    #[test]
    fn location_serialises_as_its_name() {
        let json = serde_json::to_value(business_hours(chrono_tz::Europe::Berlin)).unwrap();
        assert_eq!(json["location"], "Europe/Berlin");
        let back: TimeInterval = serde_json::from_value(json).unwrap();
        assert_eq!(back.location, chrono_tz::Europe::Berlin);
    }
}
