//! Forecasts on series with known answers.

use std::collections::BTreeMap;

use canopy_cost::forecast::{Forecast, Method, forecast};
use chrono::{Datelike, Days, NaiveDate};

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn series(from: NaiveDate, values: &[i64]) -> BTreeMap<NaiveDate, i64> {
    values.iter().enumerate().map(|(offset, value)| (from + Days::new(offset as u64), *value)).collect()
}

fn days_in(month: NaiveDate) -> i64 {
    ((month + chrono::Months::new(1)) - month).num_days()
}

#[test]
fn too_little_data_gives_no_forecast_and_says_why() {
    assert_eq!(
        forecast(&BTreeMap::new(), day("2026-12-10")),
        Forecast::None { reason: "there is no cost data yet".into(), days_of_data: 0 }
    );
    let two = series(day("2026-12-08"), &[100, 100]);
    assert_eq!(
        forecast(&two, day("2026-12-10")),
        Forecast::None { reason: "a forecast needs at least 3 days of cost data; there are 2".into(), days_of_data: 2 }
    );
}

#[test]
fn a_few_days_use_the_run_rate_of_the_last_week() {
    // 1..=5 on Dec 1–5: the run rate is their mean, 3 a day.
    let data = series(day("2026-12-01"), &[1, 2, 3, 4, 5]);
    let Forecast::Some { method, days_of_data, month_to_date, end_of_month, next_months, last_data_day } =
        forecast(&data, day("2026-12-06"))
    else {
        panic!("a forecast")
    };
    assert_eq!((method, days_of_data, month_to_date, last_data_day), (Method::RunRate, 5, 15, day("2026-12-05")));
    // 15 so far + 26 days × 3.
    assert_eq!(end_of_month.expected, 15 + 26 * 3);
    // The residuals (−2, −1, 0, 1, 2) have an RMS of √2: 80 % is ±1.2816 × √2 × √26.
    let half = (1.2816 * 2f64.sqrt() * 26f64.sqrt()).round() as i64;
    assert_eq!((end_of_month.low, end_of_month.high), (93 - half, 93 + half));
    assert_eq!(next_months.len(), 3);
    assert_eq!(next_months[0].month, day("2027-01-01"));
    assert_eq!(next_months[0].expected, 31 * 3);
    assert!(next_months[2].high - next_months[2].low > 0);
}

#[test]
fn four_weeks_with_cheap_weekends_forecast_each_weekday() {
    // Weekdays cost 10, Saturdays and Sundays 4, for the four weeks to Sunday Nov 29.
    let start = day("2026-11-02");
    assert_eq!(start.weekday(), chrono::Weekday::Mon);
    let values: Vec<i64> = (0..28).map(|offset| if offset % 7 >= 5 { 4 } else { 10 }).collect();
    let data = series(start, &values);
    let Forecast::Some { method, end_of_month, next_months, .. } = forecast(&data, day("2026-11-30")) else {
        panic!("a forecast")
    };
    assert_eq!(method, Method::Seasonal);
    // November so far: Nov 2–29 (Nov 1 had no data); Nov 30 is a Monday: 10 more.
    let so_far: i64 = values.iter().sum();
    assert_eq!(end_of_month.expected, so_far + 10);
    assert_eq!((end_of_month.low, end_of_month.high), (end_of_month.expected, end_of_month.expected), "a perfect fit");
    // December 2026: 23 weekdays and 8 weekend days.
    let december = next_months[0].clone();
    assert_eq!(december.month, day("2026-12-01"));
    assert_eq!(days_in(december.month), 31);
    assert_eq!(december.expected, 23 * 10 + 8 * 4);
}

#[test]
fn missing_days_inside_the_series_count_as_zero() {
    // Data on the 1st and the 5th only: five days of data, three of them zero.
    let data: BTreeMap<NaiveDate, i64> = [(day("2026-12-01"), 50), (day("2026-12-05"), 50)].into();
    let Forecast::Some { days_of_data, end_of_month, .. } = forecast(&data, day("2026-12-05")) else {
        panic!("a forecast")
    };
    assert_eq!(days_of_data, 5);
    // Run rate 100 / 5 = 20 a day for the 26 days left.
    assert_eq!(end_of_month.expected, 100 + 26 * 20);
}

#[test]
fn costs_that_stopped_are_not_forecast_and_a_new_month_is_today_s() {
    let data = series(day("2026-11-01"), &[10; 20]);
    // Eight quiet days: the costs stopped.
    assert_eq!(
        forecast(&data, day("2026-11-28")),
        Forecast::None {
            reason: "there has been no cost data for 8 days (since 2026-11-20): nothing to forecast from".into(),
            days_of_data: 20,
        }
    );
    // Data to Nov 30, asked on Dec 2: December is forecast whole, nothing accrued in it yet.
    let data = series(day("2026-11-01"), &[10; 30]);
    let Forecast::Some { month_to_date, end_of_month, .. } = forecast(&data, day("2026-12-02")) else {
        panic!("a forecast")
    };
    assert_eq!(month_to_date, 0);
    assert_eq!(end_of_month.month, day("2026-12-01"));
    assert_eq!(end_of_month.expected, 31 * 10);
}
