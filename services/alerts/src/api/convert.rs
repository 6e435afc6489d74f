//! Protobuf → engine: every configuration the API accepts is turned into the
//! engine's types here, collecting a field violation (at the request's field path)
//! for every problem, so a form shows them all at once. Stored configuration is kept
//! as the protobuf it was accepted as and read back through the same functions.

use std::collections::BTreeSet;

use canopy_kit::FieldViolation;
use canopy_kit::request::time_from_proto;
use canopy_sdk::proto::canopy::alerts::v1 as proto;
use chrono::{DateTime, TimeDelta, Utc};
use prost::Message as _;
use sqlx::PgConnection;

use crate::engine::Violation;
use crate::engine::dispatch::DispatchConfig;
use crate::engine::escalation::{EscalationPolicy, EscalationStep, Target};
use crate::engine::inhibit::InhibitRule;
use crate::engine::matcher::Matcher;
use crate::engine::oncall::{Layer, Override, RotationLength, Schedule, UserId};
use crate::engine::route::{Route, RouteConfig};
use crate::engine::silence::Silence;
use crate::engine::time_interval::{
    DayOfMonthRange, MonthRange, NamedTimeInterval, TimeInterval, TimeRange, WeekdayRange, YearRange,
};
use crate::engine::{self};
use crate::store::{self, SilenceRow, SpecRow};

/// Engine violations as the API's, their paths put under `prefix` (`config.`).
pub fn field_violations(violations: Vec<Violation>, prefix: &str) -> Vec<FieldViolation> {
    violations.into_iter().map(|v| FieldViolation::new(format!("{prefix}{}", v.field), v.description)).collect()
}

/// A duration field: unset is None, a malformed or non-positive one a violation.
pub fn duration(
    field: &str,
    value: Option<&prost_types::Duration>,
    violations: &mut Vec<FieldViolation>,
) -> Option<TimeDelta> {
    let value = value?;
    if value.nanos < 0 || value.nanos >= 1_000_000_000 || value.seconds <= 0 && value.nanos == 0 || value.seconds < 0 {
        violations.push(FieldViolation::new(field, "must be a positive duration"));
        return None;
    }
    TimeDelta::try_seconds(value.seconds).map(|d| d + TimeDelta::nanoseconds(i64::from(value.nanos))).or_else(|| {
        violations.push(FieldViolation::new(field, "is out of range"));
        None
    })
}

/// A required instant.
pub fn instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
    violations: &mut Vec<FieldViolation>,
) -> Option<DateTime<Utc>> {
    match value {
        None => {
            violations.push(FieldViolation::new(field, "is required"));
            None
        }
        Some(value) => {
            let parsed = time_from_proto(value);
            if parsed.is_none() {
                violations.push(FieldViolation::new(field, "is not a valid time"));
            }
            parsed
        }
    }
}

fn optional_instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
    violations: &mut Vec<FieldViolation>,
) -> Option<DateTime<Utc>> {
    value.and_then(|value| instant(field, Some(value), violations))
}

/// Matchers in text form, each parsed.
pub fn matchers(field: &str, texts: &[String], violations: &mut Vec<FieldViolation>) -> Vec<Matcher> {
    texts
        .iter()
        .enumerate()
        .filter_map(|(index, text)| {
            Matcher::parse(text)
                .map_err(|error| violations.push(FieldViolation::new(format!("{field}[{index}]"), error.to_string())))
                .ok()
        })
        .collect()
}

fn route(route: &proto::Route, path: &str, violations: &mut Vec<FieldViolation>) -> RouteConfig {
    RouteConfig {
        receiver: (!route.receiver.is_empty()).then(|| route.receiver.clone()),
        matchers: route.matchers.clone(),
        group_by: (!route.group_by.is_empty()).then(|| route.group_by.clone()),
        group_wait: duration(&format!("{path}.group_wait"), route.group_wait.as_ref(), violations),
        group_interval: duration(&format!("{path}.group_interval"), route.group_interval.as_ref(), violations),
        repeat_interval: duration(&format!("{path}.repeat_interval"), route.repeat_interval.as_ref(), violations),
        continue_matching: route.r#continue,
        mute_time_intervals: route.mute_time_intervals.clone(),
        active_time_intervals: route.active_time_intervals.clone(),
        routes: route
            .routes
            .iter()
            .enumerate()
            .map(|(index, child)| self::route(child, &format!("{path}.routes[{index}]"), violations))
            .collect(),
    }
}

/// A time interval window, read field by field.
pub fn time_interval(window: &proto::TimeInterval, path: &str, violations: &mut Vec<FieldViolation>) -> TimeInterval {
    fn ranges<T>(
        field: String,
        texts: &[String],
        parse: impl Fn(&str) -> Result<T, engine::time_interval::RangeError>,
        violations: &mut Vec<FieldViolation>,
    ) -> Vec<T> {
        texts
            .iter()
            .enumerate()
            .filter_map(|(index, text)| {
                parse(text)
                    .map_err(|e| violations.push(FieldViolation::new(format!("{field}[{index}]"), e.to_string())))
                    .ok()
            })
            .collect()
    }
    let times = window
        .times
        .iter()
        .enumerate()
        .filter_map(|(index, range)| {
            TimeRange::parse(&range.start_time, &range.end_time)
                .map_err(|e| violations.push(FieldViolation::new(format!("{path}.times[{index}]"), e.to_string())))
                .ok()
        })
        .collect();
    let location = if window.location.is_empty() {
        chrono_tz::Tz::UTC
    } else {
        engine::parse_time_zone(&format!("{path}.location"), &window.location).unwrap_or_else(|v| {
            violations.push(FieldViolation::new(v.field, v.description));
            chrono_tz::Tz::UTC
        })
    };
    let interval = TimeInterval {
        times,
        weekdays: ranges(format!("{path}.weekdays"), &window.weekdays, WeekdayRange::parse, violations),
        days_of_month: ranges(
            format!("{path}.days_of_month"),
            &window.days_of_month,
            DayOfMonthRange::parse,
            violations,
        ),
        months: ranges(format!("{path}.months"), &window.months, MonthRange::parse, violations),
        years: ranges(format!("{path}.years"), &window.years, YearRange::parse, violations),
        location,
    };
    violations.extend(field_violations(interval.validate(path), ""));
    interval
}

/// A whole routing configuration, checked against the platform receivers' names.
pub fn routing(
    config: &proto::RoutingConfig,
    receivers: &BTreeSet<String>,
) -> Result<DispatchConfig, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let mut time_intervals = Vec::new();
    let mut names = BTreeSet::new();
    for (index, named) in config.time_intervals.iter().enumerate() {
        let path = format!("config.time_intervals[{index}]");
        if named.name.trim().is_empty() {
            violations.push(FieldViolation::new(format!("{path}.name"), "is required"));
        } else if !names.insert(named.name.clone()) {
            violations.push(FieldViolation::new(format!("{path}.name"), format!("duplicate name {:?}", named.name)));
        }
        let intervals = named
            .intervals
            .iter()
            .enumerate()
            .map(|(i, window)| time_interval(window, &format!("{path}.intervals[{i}]"), &mut violations))
            .collect();
        time_intervals.push(NamedTimeInterval { name: named.name.clone(), intervals });
    }
    let mut inhibit_rules = Vec::new();
    for (index, rule) in config.inhibit_rules.iter().enumerate() {
        let path = format!("config.inhibit_rules[{index}]");
        let rule = InhibitRule {
            source_matchers: matchers(&format!("{path}.source_matchers"), &rule.source_matchers, &mut violations),
            target_matchers: matchers(&format!("{path}.target_matchers"), &rule.target_matchers, &mut violations),
            equal: rule.equal.clone(),
        };
        violations.extend(field_violations(rule.validate(&path), ""));
        inhibit_rules.push(rule);
    }
    let Some(root) = &config.route else {
        violations.push(FieldViolation::new("config.route", "is required"));
        return Err(violations);
    };
    let tree = route(root, "config.route", &mut violations);
    let compiled = Route::compile(&tree, receivers, &names).map_err(|found| field_violations(found, "config."));
    match compiled {
        Ok(route) if violations.is_empty() => Ok(DispatchConfig { route, inhibit_rules, time_intervals }),
        Ok(_) => Err(violations),
        Err(mut found) => {
            violations.append(&mut found);
            Err(violations)
        }
    }
}

/// The configuration in force, if any, as the dispatcher needs it.
pub async fn stored_routing(tx: &mut PgConnection) -> anyhow::Result<Option<DispatchConfig>> {
    let Some((bytes, _)) = store::routing_config(tx).await? else { return Ok(None) };
    let config = proto::RoutingConfig::decode(bytes.as_slice())?;
    let receivers = store::platform_receivers(tx).await?.into_iter().map(|r| r.name).collect();
    routing(&config, &receivers)
        .map(Some)
        .map_err(|violations| anyhow::anyhow!("the stored routing configuration no longer compiles: {violations:?}"))
}

/// A stored silence as the engine's.
pub fn silence(row: &SilenceRow) -> Result<Silence, String> {
    let matchers =
        row.matchers.iter().map(|text| Matcher::parse(text).map_err(|e| e.to_string())).collect::<Result<_, _>>()?;
    Ok(Silence {
        matchers,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        created_by: row.created_by.clone(),
        comment: row.comment.clone(),
    })
}

/// An escalation policy, checked against the platform receivers and schedules.
pub fn policy(
    policy: &proto::EscalationPolicy,
    receivers: &BTreeSet<String>,
    schedules: &BTreeSet<String>,
) -> Result<EscalationPolicy, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let mut steps = Vec::new();
    for (index, step) in policy.steps.iter().enumerate() {
        let path = format!("escalation_policy.steps[{index}]");
        let mut targets = Vec::new();
        for (target_index, target) in step.targets.iter().enumerate() {
            use proto::escalation_target::Target as T;
            match &target.target {
                Some(T::Receiver(name)) => targets.push(Target::Receiver(name.clone())),
                Some(T::UserId(user)) => targets.push(Target::User(UserId(user.clone()))),
                Some(T::Schedule(name)) => targets.push(Target::Schedule(name.clone())),
                None => violations.push(FieldViolation::new(
                    format!("{path}.targets[{target_index}]"),
                    "a receiver, user_id or schedule is required",
                )),
            }
        }
        let wait = match step.wait.as_ref() {
            None => {
                violations.push(FieldViolation::new(format!("{path}.wait"), "is required"));
                TimeDelta::zero()
            }
            Some(wait) => duration(&format!("{path}.wait"), Some(wait), &mut violations).unwrap_or_default(),
        };
        steps.push(EscalationStep { targets, wait });
    }
    let engine_policy = EscalationPolicy { name: policy.name.trim().to_string(), steps, repeat: policy.repeat };
    violations.extend(field_violations(engine_policy.validate(receivers, schedules), ""));
    if violations.is_empty() { Ok(engine_policy) } else { Err(violations) }
}

pub fn stored_policy(row: &SpecRow) -> anyhow::Result<EscalationPolicy> {
    let spec = proto::EscalationPolicy::decode(row.spec.as_slice())?;
    // Names were checked when it was created; a receiver or schedule deleted since
    // is refused at deletion, so the stored names are trusted here.
    let receivers = names_in(&spec, |t| matches!(t, proto::escalation_target::Target::Receiver(_)));
    let schedules = names_in(&spec, |t| matches!(t, proto::escalation_target::Target::Schedule(_)));
    policy(&spec, &receivers, &schedules).map_err(|v| anyhow::anyhow!("stored escalation policy is invalid: {v:?}"))
}

/// The receiver or schedule names a policy's targets use.
pub fn names_in(
    spec: &proto::EscalationPolicy,
    kind: impl Fn(&proto::escalation_target::Target) -> bool,
) -> BTreeSet<String> {
    use proto::escalation_target::Target as T;
    spec.steps
        .iter()
        .flat_map(|step| step.targets.iter())
        .filter_map(|target| target.target.as_ref())
        .filter(|target| kind(target))
        .filter_map(|target| match target {
            T::Receiver(name) | T::Schedule(name) => Some(name.clone()),
            T::UserId(_) => None,
        })
        .collect()
}

/// An on-call schedule.
pub fn schedule(schedule: &proto::Schedule) -> Result<Schedule, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let mut layers = Vec::new();
    for (index, layer) in schedule.layers.iter().enumerate() {
        let path = format!("schedule.layers[{index}]");
        let rotation = match proto::RotationLength::try_from(layer.rotation) {
            Ok(proto::RotationLength::Daily) => RotationLength::Daily,
            Ok(proto::RotationLength::Weekly) => RotationLength::Weekly,
            Ok(proto::RotationLength::Hours) => RotationLength::Hours(i64::from(layer.rotation_hours)),
            _ => {
                violations.push(FieldViolation::new(format!("{path}.rotation"), "is required"));
                RotationLength::Daily
            }
        };
        let time_zone = engine::parse_time_zone(&format!("{path}.time_zone"), &layer.time_zone).unwrap_or_else(|v| {
            violations.push(FieldViolation::new(v.field, v.description));
            chrono_tz::Tz::UTC
        });
        let rotation_start =
            instant(&format!("{path}.rotation_start_time"), layer.rotation_start_time.as_ref(), &mut violations);
        let restrictions = layer
            .restrictions
            .iter()
            .enumerate()
            .map(|(i, window)| time_interval(window, &format!("{path}.restrictions[{i}]"), &mut violations))
            .collect();
        layers.push(Layer {
            name: layer.name.clone(),
            users: layer.user_ids.iter().map(|id| UserId(id.clone())).collect(),
            rotation,
            rotation_start: rotation_start.unwrap_or_default(),
            time_zone,
            starts_at: optional_instant(&format!("{path}.start_time"), layer.start_time.as_ref(), &mut violations),
            ends_at: optional_instant(&format!("{path}.end_time"), layer.end_time.as_ref(), &mut violations),
            restrictions,
            priority: (layer.priority > 0).then_some(layer.priority),
        });
    }
    let mut overrides = Vec::new();
    for (index, each) in schedule.overrides.iter().enumerate() {
        let path = format!("schedule.overrides[{index}]");
        let starts_at = instant(&format!("{path}.start_time"), each.start_time.as_ref(), &mut violations);
        let ends_at = instant(&format!("{path}.end_time"), each.end_time.as_ref(), &mut violations);
        if let (Some(starts_at), Some(ends_at)) = (starts_at, ends_at) {
            overrides.push(Override { user: UserId(each.user_id.clone()), starts_at, ends_at });
        }
    }
    let engine_schedule = Schedule { name: schedule.name.trim().to_string(), layers, overrides };
    let renamed = engine_schedule.validate().into_iter().map(|mut v| {
        // The engine names the API's `*_time` fields by its own names.
        v.field = v.field.replace(".ends_at", ".end_time").replace(".user", ".user_id");
        v
    });
    violations.extend(field_violations(renamed.collect(), ""));
    if violations.is_empty() { Ok(engine_schedule) } else { Err(violations) }
}

pub fn stored_schedule(row: &SpecRow) -> anyhow::Result<Schedule> {
    let spec = proto::Schedule::decode(row.spec.as_slice())?;
    schedule(&spec).map_err(|v| anyhow::anyhow!("stored schedule is invalid: {v:?}"))
}
