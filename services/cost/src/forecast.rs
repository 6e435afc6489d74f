//! Forecasts from daily costs, as pure functions of the series and the day.
//!
//! * Fewer than [`MIN_DAYS`] days of data, or none in the last [`MAX_QUIET_DAYS`]: no
//!   forecast, and the reason says so.
//! * Up to [`SEASONAL_DAYS`] − 1 days: **run rate** — the mean of the last seven days
//!   (or fewer) for every day ahead.
//! * From [`SEASONAL_DAYS`] days: **weekday-seasonal** — each weekday's mean over the
//!   last four weeks relative to their overall mean (weekend dips, Monday peaks),
//!   times the level of the last seven days.
//!
//! The interval is 80 %: the standard deviation of the daily residuals (against the
//! fitted values) scaled by √k for a sum of k days, so it widens with the horizon.
//! Amounts are micros.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate};

/// Days of data below which nothing is forecast.
pub const MIN_DAYS: usize = 3;
/// Days of data from which the weekday-seasonal method is used.
pub const SEASONAL_DAYS: usize = 14;
/// Days without data after which nothing is forecast (the costs stopped: a deleted
/// site, an account no longer collected).
pub const MAX_QUIET_DAYS: i64 = 7;
/// z for a two-sided 80 % interval.
const Z80: f64 = 1.2816;

/// How a forecast was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    RunRate,
    Seasonal,
}

/// A forecast period.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    /// The month's first day.
    pub month: NaiveDate,
    pub expected: i64,
    pub low: i64,
    pub high: i64,
}

/// A forecast, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Forecast {
    None {
        reason: String,
        days_of_data: usize,
    },
    Some {
        method: Method,
        days_of_data: usize,
        last_data_day: NaiveDate,
        month_to_date: i64,
        end_of_month: Period,
        next_months: Vec<Period>,
    },
}

impl Forecast {
    /// The forecast for the whole current month, when there is one.
    pub fn end_of_month(&self) -> Option<i64> {
        match self {
            Forecast::Some { end_of_month, .. } => Some(end_of_month.expected),
            Forecast::None { .. } => None,
        }
    }
}

/// Forecasts from `daily` (day → micros; days without costs may be absent) as of
/// `today`. Data after `today` is ignored; the series runs from its first day to its
/// last, missing days counting as zero.
pub fn forecast(daily: &BTreeMap<NaiveDate, i64>, today: NaiveDate) -> Forecast {
    let known: BTreeMap<NaiveDate, i64> = daily.range(..=today).map(|(day, micros)| (*day, *micros)).collect();
    let (Some(first), Some(last)) = (known.keys().next().copied(), known.keys().next_back().copied()) else {
        return Forecast::None { reason: "there is no cost data yet".into(), days_of_data: 0 };
    };
    let span = (last - first).num_days() as usize + 1;
    if span < MIN_DAYS {
        return Forecast::None {
            reason: format!("a forecast needs at least {MIN_DAYS} days of cost data; there {}", days(span)),
            days_of_data: span,
        };
    }
    // The last 28 days at most, oldest first, zero where nothing was recorded.
    let window = span.min(28);
    let start = last - Days::new(window as u64 - 1);
    let series: Vec<(NaiveDate, f64)> = (0..window)
        .map(|offset| {
            let day = start + Days::new(offset as u64);
            (day, known.get(&day).copied().unwrap_or(0) as f64)
        })
        .collect();
    let quiet = (today - last).num_days();
    if quiet > MAX_QUIET_DAYS {
        return Forecast::None {
            reason: format!("there has been no cost data for {quiet} days (since {last}): nothing to forecast from"),
            days_of_data: span,
        };
    }
    let model = Model::fit(&series, span);
    // The month is today's; the days after the last data are forecast.
    let month_start = today.with_day(1).expect("day 1 exists");
    let month_to_date: i64 =
        if last < month_start { 0 } else { known.range(month_start..=last).map(|(_, micros)| micros).sum() };
    let month_end = month_start + Months::new(1) - Days::new(1);
    let rest = model.sum((last + Days::new(1)).max(month_start), month_end);
    let end_of_month = Period {
        month: month_start,
        expected: month_to_date + rest.expected,
        low: month_to_date + rest.low,
        high: month_to_date + rest.high,
    };
    let next_months = (1..=3)
        .map(|ahead| {
            let month = month_start + Months::new(ahead);
            let sum = model.sum(month, month + Months::new(1) - Days::new(1));
            Period { month, ..sum }
        })
        .collect();
    Forecast::Some {
        method: model.method,
        days_of_data: span,
        last_data_day: last,
        month_to_date,
        end_of_month,
        next_months,
    }
}

fn days(count: usize) -> String {
    if count == 1 { "is 1".into() } else { format!("are {count}") }
}

struct Model {
    method: Method,
    /// Expected micros per day for each weekday (Monday first).
    per_weekday: [f64; 7],
    /// Standard deviation of a day's residual.
    spread: f64,
}

impl Model {
    fn fit(series: &[(NaiveDate, f64)], span: usize) -> Model {
        let recent = &series[series.len().saturating_sub(7)..];
        let level = mean(recent.iter().map(|(_, micros)| *micros));
        if span < SEASONAL_DAYS {
            let spread = deviation(recent.iter().map(|(_, micros)| micros - level));
            return Model { method: Method::RunRate, per_weekday: [level; 7], spread };
        }
        let overall = mean(series.iter().map(|(_, micros)| *micros));
        let mut factors = [1.0; 7];
        if overall > 0.0 {
            for (weekday, factor) in factors.iter_mut().enumerate() {
                let same: Vec<f64> = series
                    .iter()
                    .filter(|(day, _)| day.weekday().num_days_from_monday() as usize == weekday)
                    .map(|(_, micros)| *micros)
                    .collect();
                if !same.is_empty() {
                    *factor = mean(same.iter().copied()) / overall;
                }
            }
        }
        // The last week's level with its weekday mix taken out.
        let mix = mean(recent.iter().map(|(day, _)| factors[day.weekday().num_days_from_monday() as usize]));
        let base = if mix > 0.0 { level / mix } else { level };
        let per_weekday = factors.map(|factor| base * factor);
        let spread = deviation(
            series.iter().map(|(day, micros)| micros - per_weekday[day.weekday().num_days_from_monday() as usize]),
        );
        Model { method: Method::Seasonal, per_weekday, spread }
    }

    /// The forecast sum over `from..=to`, with its interval; zero when `to < from`.
    fn sum(&self, from: NaiveDate, to: NaiveDate) -> Period {
        let mut expected = 0.0;
        let mut count = 0.0;
        let mut day = from;
        while day <= to {
            expected += self.per_weekday[day.weekday().num_days_from_monday() as usize];
            count += 1.0;
            day = day + Days::new(1);
        }
        let half = Z80 * self.spread * f64::sqrt(count);
        Period {
            month: from,
            expected: expected.round() as i64,
            low: (expected - half).max(0.0).round() as i64,
            high: (expected + half).round() as i64,
        }
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0.0), |(sum, count), value| (sum + value, count + 1.0));
    if count == 0.0 { 0.0 } else { sum / count }
}

/// Root mean square of residuals.
fn deviation(residuals: impl Iterator<Item = f64>) -> f64 {
    mean(residuals.map(|residual| residual * residual)).sqrt()
}
