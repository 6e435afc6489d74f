//! The dispatcher: alerts in, grouped notifications out, on Alertmanager's clock.
//!
//! Each alert goes to the routes it matches ([`Route::matching`]) and, per route,
//! into the aggregation group of its `group_by` labels. A new group's first
//! notification waits `group_wait` so related alerts arrive together; after that the
//! group is looked at every `group_interval` and notifies only when it has changed
//! (a new firing alert, a resolved one), or when `repeat_interval` has passed since
//! its last notification. Silenced and inhibited alerts are left out; a route inside
//! a mute time interval, or outside all of its active ones, sends nothing.
//!
//! [`Dispatcher`] keeps everything that must survive a restart in [`DispatchState`],
//! which serialises; the configuration is rebuilt from its source and handed back.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::inhibit::{InhibitRule, is_inhibited};
use super::labels::{Fnv1a, Labels};
use super::route::Route;
use super::silence::{Silence, is_silenced};
use super::time_interval::NamedTimeInterval;

/// An alert as a source (Prometheus, a health check) reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Its identity: two reports with the same labels are the same alert.
    pub labels: Labels,
    /// Free text for people (`summary`, `runbook_url`); not part of the identity.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
    /// When it stopped, or is expected to stop unless reported again; `None` while
    /// it fires with no end in sight.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
}

impl Alert {
    pub fn fingerprint(&self) -> u64 {
        self.labels.fingerprint()
    }

    /// Resolved once its end has passed, as in Alertmanager.
    pub fn is_resolved_at(&self, now: DateTime<Utc>) -> bool {
        self.ends_at.is_some_and(|ends_at| ends_at <= now)
    }

    /// The `severity` label, by convention; severity is a label like any other so
    /// routes, silences and inhibit rules can match on it.
    pub fn severity(&self) -> Option<&str> {
        self.labels.get("severity")
    }
}

/// Whether an alert in a notification is still firing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifiedAlert {
    pub status: AlertStatus,
    pub fingerprint: u64,
    pub alert: Alert,
}

/// One message due to one receiver about one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The same for every delivery attempt of this flush of this group, and never
    /// reused by another, so a receiver (or the outbox) can drop duplicates.
    pub id: String,
    pub receiver: String,
    /// `route id:group labels`, unique among live groups.
    pub group_key: String,
    pub group_labels: Labels,
    /// Firing alerts first, then resolved ones, each by fingerprint.
    pub alerts: Vec<NotifiedAlert>,
    pub at: DateTime<Utc>,
}

impl Notification {
    pub fn firing(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(|notified| notified.status == AlertStatus::Firing).map(|notified| &notified.alert)
    }

    pub fn resolved(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(|notified| notified.status == AlertStatus::Resolved).map(|notified| &notified.alert)
    }
}

/// What the dispatcher works with; rebuilt from the stored configuration, not stored
/// with the state.
#[derive(Debug, Clone)]
pub struct DispatchConfig {
    pub route: Route,
    pub inhibit_rules: Vec<InhibitRule>,
    pub time_intervals: Vec<NamedTimeInterval>,
}

/// Everything the dispatcher must remember across restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchState {
    /// Every alert known, by fingerprint (inhibition looks at all of them).
    pub alerts: BTreeMap<u64, Alert>,
    /// Live aggregation groups, by group key.
    pub groups: BTreeMap<String, AggregationGroup>,
}

/// Alerts of one route that share their `group_by` labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregationGroup {
    pub route_id: String,
    pub receiver: String,
    pub labels: Labels,
    pub alerts: BTreeSet<u64>,
    pub created_at: DateTime<Utc>,
    /// When the group is next looked at: `group_wait` after creation, then every
    /// `group_interval`.
    pub next_flush_at: DateTime<Utc>,
    /// What the receiver was last told, Alertmanager's notification log entry.
    pub last_notified: Option<NotifiedSet>,
    /// Notifications sent so far: part of the next notification's id.
    pub flushes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifiedSet {
    pub at: DateTime<Utc>,
    pub firing: BTreeSet<u64>,
    pub resolved: BTreeSet<u64>,
}

pub struct Dispatcher {
    config: DispatchConfig,
    state: DispatchState,
}

impl Dispatcher {
    pub fn new(config: DispatchConfig) -> Self {
        Self::restore(config, DispatchState::default())
    }

    /// Carries on from a stored state. A group whose route is gone from the new
    /// configuration is dropped at its next flush.
    pub fn restore(config: DispatchConfig, state: DispatchState) -> Self {
        Self { config, state }
    }

    /// The state to store (after each `receive` or `tick` that changed it).
    pub fn state(&self) -> &DispatchState {
        &self.state
    }

    /// When `tick` next has something to do, so the caller can sleep until then.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.state.groups.values().map(|group| group.next_flush_at).min()
    }

    /// Takes in a report of an alert at `now`; a repeat of a known alert updates it.
    pub fn receive(&mut self, mut alert: Alert, now: DateTime<Utc>) {
        let fingerprint = alert.fingerprint();
        if let Some(known) = self.state.alerts.get(&fingerprint)
            && !known.is_resolved_at(now)
        {
            // Still the same occurrence: it started when first reported.
            alert.starts_at = alert.starts_at.min(known.starts_at);
        }
        for route in self.config.route.matching(&alert.labels) {
            let labels = route.group_by.group_labels(&alert.labels);
            let key = format!("{}:{}", route.id, labels.to_matcher_text());
            let group = self.state.groups.entry(key).or_insert_with(|| AggregationGroup {
                route_id: route.id.clone(),
                receiver: route.receiver.clone(),
                labels,
                alerts: BTreeSet::new(),
                created_at: now,
                next_flush_at: now + route.group_wait,
                last_notified: None,
                flushes: 0,
            });
            group.alerts.insert(fingerprint);
        }
        self.state.alerts.insert(fingerprint, alert);
    }

    /// Flushes every group that is due at `now` and answers the notifications to
    /// deliver, given the silences that exist.
    pub fn tick(&mut self, now: DateTime<Utc>, silences: &[Silence]) -> Vec<Notification> {
        let firing: Vec<&Labels> =
            self.state.alerts.values().filter(|alert| !alert.is_resolved_at(now)).map(|alert| &alert.labels).collect();
        let muted: BTreeSet<u64> = self
            .state
            .alerts
            .iter()
            .filter(|(_, alert)| {
                is_silenced(silences, &alert.labels, now)
                    || is_inhibited(&self.config.inhibit_rules, &alert.labels, &firing)
            })
            .map(|(fingerprint, _)| *fingerprint)
            .collect();

        let mut due: Vec<(DateTime<Utc>, String)> = self
            .state
            .groups
            .iter()
            .filter(|(_, group)| group.next_flush_at <= now)
            .map(|(key, group)| (group.next_flush_at, key.clone()))
            .collect();
        due.sort();

        let mut notifications = Vec::new();
        for (_, key) in due {
            let Some(group) = self.state.groups.get_mut(&key) else { continue };
            let Some(route) = self.config.route.find(&group.route_id) else {
                self.state.groups.remove(&key);
                continue;
            };
            group.next_flush_at = now + route.group_interval;
            if !route_is_quiet(route, &self.config.time_intervals, now) {
                let notification = flush(&key, group, route.repeat_interval, &self.state.alerts, &muted, now);
                notifications.extend(notification);
            }
            // Resolved alerts have had their one notification (or were muted when
            // it was due): Alertmanager forgets them after the flush either way.
            let alerts = &self.state.alerts;
            group.alerts.retain(|fingerprint| alerts.get(fingerprint).is_some_and(|alert| !alert.is_resolved_at(now)));
            if group.alerts.is_empty() {
                self.state.groups.remove(&key);
            }
        }

        let grouped: BTreeSet<u64> =
            self.state.groups.values().flat_map(|group| group.alerts.iter().copied()).collect();
        self.state.alerts.retain(|fingerprint, alert| !alert.is_resolved_at(now) || grouped.contains(fingerprint));
        notifications
    }
}

/// Whether the route's time intervals keep it from sending at `now`.
fn route_is_quiet(route: &Route, intervals: &[NamedTimeInterval], now: DateTime<Utc>) -> bool {
    let contains = |name: &String| intervals.iter().any(|interval| &interval.name == name && interval.contains(now));
    route.mute_time_intervals.iter().any(contains)
        || (!route.active_time_intervals.is_empty() && !route.active_time_intervals.iter().any(contains))
}

/// The group's notification at `now`, if the receiver needs one (Alertmanager's
/// dedup stage); records it as sent.
fn flush(
    key: &str,
    group: &mut AggregationGroup,
    repeat_interval: TimeDelta,
    alerts: &BTreeMap<u64, Alert>,
    muted: &BTreeSet<u64>,
    now: DateTime<Utc>,
) -> Option<Notification> {
    let mut firing = BTreeSet::new();
    let mut resolved = BTreeSet::new();
    for fingerprint in group.alerts.iter().filter(|fingerprint| !muted.contains(fingerprint)) {
        let Some(alert) = alerts.get(fingerprint) else { continue };
        if alert.is_resolved_at(now) {
            resolved.insert(*fingerprint);
        } else {
            firing.insert(*fingerprint);
        }
    }
    if firing.is_empty() && resolved.is_empty() {
        return None;
    }
    let needed = match &group.last_notified {
        // Nobody was told about alerts that fired and resolved before the first
        // notification: they need none.
        None => !firing.is_empty(),
        Some(last) if !firing.is_subset(&last.firing) => true,
        // Everything resolved: tell the receiver, who knew of some firing alerts.
        Some(last) if firing.is_empty() => !last.firing.is_empty(),
        Some(last) if !resolved.is_subset(&last.resolved) => true,
        // Nothing changed: remind only once the repeat interval has passed.
        Some(last) => last.at + repeat_interval <= now,
    };
    if !needed {
        return None;
    }
    group.flushes += 1;
    group.last_notified = Some(NotifiedSet { at: now, firing: firing.clone(), resolved: resolved.clone() });
    let notified = |status, fingerprints: &BTreeSet<u64>| -> Vec<NotifiedAlert> {
        fingerprints
            .iter()
            .filter_map(|fingerprint| {
                alerts.get(fingerprint).map(|alert| NotifiedAlert {
                    status,
                    fingerprint: *fingerprint,
                    alert: alert.clone(),
                })
            })
            .collect()
    };
    let mut notified_alerts = notified(AlertStatus::Firing, &firing);
    notified_alerts.extend(notified(AlertStatus::Resolved, &resolved));
    Some(Notification {
        id: notification_id(key, group),
        receiver: group.receiver.clone(),
        group_key: key.to_owned(),
        group_labels: group.labels.clone(),
        alerts: notified_alerts,
        at: now,
    })
}

/// `group-key hash - group creation - flush number`: deterministic, so a restored
/// dispatcher names a flush as the original would, and distinct for a group key that
/// reappears after its group emptied.
fn notification_id(key: &str, group: &AggregationGroup) -> String {
    let mut hash = Fnv1a::new();
    hash.feed(key.as_bytes());
    format!("{:016x}-{}-{}", hash.finish(), group.created_at.timestamp_millis(), group.flushes)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::engine::matcher::Matcher;
    use crate::engine::route::RouteConfig;
    use crate::engine::time_interval::{TimeInterval, TimeRange};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 3, 12, 0, 0).unwrap()
    }

    fn secs(seconds: i64) -> DateTime<Utc> {
        t0() + TimeDelta::seconds(seconds)
    }

    fn mins(minutes: i64) -> DateTime<Utc> {
        t0() + TimeDelta::minutes(minutes)
    }

    fn alert(pairs: &[(&str, &str)], starts_at: DateTime<Utc>) -> Alert {
        Alert { labels: pairs.iter().copied().collect(), annotations: BTreeMap::new(), starts_at, ends_at: None }
    }

    fn resolved(mut alert: Alert, at: DateTime<Utc>) -> Alert {
        alert.ends_at = Some(at);
        alert
    }

    fn config_with(
        route: RouteConfig,
        inhibit_rules: Vec<InhibitRule>,
        intervals: Vec<NamedTimeInterval>,
    ) -> DispatchConfig {
        let receivers = ["default", "pager", "audit"].into_iter().map(String::from).collect();
        let names = intervals.iter().map(|interval| interval.name.clone()).collect();
        DispatchConfig {
            route: Route::compile(&route, &receivers, &names).unwrap(),
            inhibit_rules,
            time_intervals: intervals,
        }
    }

    /// A root route to `default` grouping by alertname, with Alertmanager's timings.
    fn by_alertname() -> RouteConfig {
        RouteConfig {
            receiver: Some("default".into()),
            group_by: Some(vec!["alertname".into()]),
            ..RouteConfig::default()
        }
    }

    fn dispatcher() -> Dispatcher {
        Dispatcher::new(config_with(by_alertname(), vec![], vec![]))
    }

    /// Ticks whenever the dispatcher is due, as the service's loop would, up to and
    /// including `until`.
    fn run_until(dispatcher: &mut Dispatcher, until: DateTime<Utc>, silences: &[Silence]) -> Vec<Notification> {
        let mut sent = Vec::new();
        while let Some(due) = dispatcher.next_due().filter(|due| *due <= until) {
            sent.extend(dispatcher.tick(due, silences));
        }
        sent
    }

    fn alertnames(notification: &Notification) -> Vec<(&str, AlertStatus)> {
        notification.alerts.iter().map(|notified| (notified.alert.labels.value("instance"), notified.status)).collect()
    }

    #[test]
    fn first_notification_waits_group_wait() {
        let mut dispatcher = dispatcher();
        dispatcher.receive(alert(&[("alertname", "Down"), ("instance", "a")], t0()), t0());
        dispatcher.receive(alert(&[("alertname", "Down"), ("instance", "b")], secs(10)), secs(10));
        assert_eq!(dispatcher.tick(secs(29), &[]), []);
        let sent = dispatcher.tick(secs(30), &[]);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].receiver, "default");
        assert_eq!(sent[0].group_key, r#"route:{alertname="Down"}"#);
        assert_eq!(alertnames(&sent[0]), [("a", AlertStatus::Firing), ("b", AlertStatus::Firing)]);
        assert_eq!(dispatcher.tick(secs(31), &[]), [], "nothing more until the group interval");
    }

    #[test]
    fn a_new_alert_waits_for_the_group_interval() {
        let mut dispatcher = dispatcher();
        dispatcher.receive(alert(&[("alertname", "Down"), ("instance", "a")], t0()), t0());
        assert_eq!(run_until(&mut dispatcher, secs(30), &[]).len(), 1);
        dispatcher.receive(alert(&[("alertname", "Down"), ("instance", "b")], mins(1)), mins(1));
        // The group is next looked at 5 minutes after its first notification.
        assert_eq!(dispatcher.next_due(), Some(secs(330)));
        assert_eq!(dispatcher.tick(secs(329), &[]), []);
        let sent = dispatcher.tick(secs(330), &[]);
        assert_eq!(sent.len(), 1);
        assert_eq!(alertnames(&sent[0]), [("a", AlertStatus::Firing), ("b", AlertStatus::Firing)]);
    }

    #[test]
    fn an_unchanged_group_repeats_after_four_hours() {
        let mut dispatcher = dispatcher();
        dispatcher.receive(alert(&[("alertname", "Down"), ("instance", "a")], t0()), t0());
        let first = run_until(&mut dispatcher, secs(30), &[]);
        // Every group interval until then finds nothing new.
        assert_eq!(run_until(&mut dispatcher, secs(30) + TimeDelta::hours(4) - TimeDelta::seconds(1), &[]), []);
        let repeat = run_until(&mut dispatcher, secs(30) + TimeDelta::hours(4), &[]);
        assert_eq!(repeat.len(), 1);
        assert_eq!(repeat[0].at, secs(30) + TimeDelta::hours(4));
        assert_ne!(repeat[0].id, first[0].id, "each flush has its own id");
    }

    #[test]
    fn a_resolved_alert_is_notified_once_then_forgotten() {
        let mut dispatcher = dispatcher();
        let down = alert(&[("alertname", "Down"), ("instance", "a")], t0());
        dispatcher.receive(down.clone(), t0());
        run_until(&mut dispatcher, secs(30), &[]);
        dispatcher.receive(resolved(down, mins(2)), mins(2));
        let sent = run_until(&mut dispatcher, mins(30), &[]);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].at, secs(330));
        assert_eq!(alertnames(&sent[0]), [("a", AlertStatus::Resolved)]);
        assert_eq!(dispatcher.state(), &DispatchState::default(), "group and alert dropped");
    }

    #[test]
    fn an_alert_resolved_before_anyone_was_told_sends_nothing() {
        let mut dispatcher = dispatcher();
        let blip = alert(&[("alertname", "Blip")], t0());
        dispatcher.receive(blip.clone(), t0());
        dispatcher.receive(resolved(blip, secs(5)), secs(5));
        assert_eq!(run_until(&mut dispatcher, mins(10), &[]), []);
        assert_eq!(dispatcher.next_due(), None);
    }

    #[test]
    fn an_alert_whose_end_passes_resolves_by_itself() {
        let mut dispatcher = dispatcher();
        // Reported with an end in the future, and never again (the source died).
        dispatcher.receive(resolved(alert(&[("alertname", "Down")], t0()), mins(4)), t0());
        let sent = run_until(&mut dispatcher, mins(10), &[]);
        let statuses: Vec<_> = sent.iter().map(|n| n.alerts[0].status).collect();
        assert_eq!(statuses, [AlertStatus::Firing, AlertStatus::Resolved]);
    }

    #[test]
    fn group_by_splits_and_continue_fans_out() {
        let route = RouteConfig {
            routes: vec![
                RouteConfig {
                    receiver: Some("audit".into()),
                    continue_matching: true,
                    group_by: Some(vec!["...".into()]),
                    ..RouteConfig::default()
                },
                RouteConfig {
                    receiver: Some("pager".into()),
                    matchers: vec![r#"severity="critical""#.into()],
                    ..RouteConfig::default()
                },
            ],
            ..by_alertname()
        };
        let mut dispatcher = Dispatcher::new(config_with(route, vec![], vec![]));
        dispatcher.receive(alert(&[("alertname", "Down"), ("severity", "critical"), ("instance", "a")], t0()), t0());
        dispatcher.receive(alert(&[("alertname", "Down"), ("severity", "critical"), ("instance", "b")], t0()), t0());
        dispatcher.receive(alert(&[("alertname", "Slow"), ("severity", "warning")], t0()), t0());
        let sent = dispatcher.tick(secs(30), &[]);
        let mut summary: Vec<(&str, usize)> = sent.iter().map(|n| (n.receiver.as_str(), n.alerts.len())).collect();
        summary.sort();
        // audit: one group per alert; pager: the two critical Down alerts together;
        // the warning matches no second route, and audit already took it.
        assert_eq!(summary, [("audit", 1), ("audit", 1), ("audit", 1), ("pager", 2)]);
    }

    #[test]
    fn a_critical_alert_inhibits_matching_warnings() {
        let rule = InhibitRule {
            source_matchers: vec![Matcher::parse(r#"severity="critical""#).unwrap()],
            target_matchers: vec![Matcher::parse(r#"severity="warning""#).unwrap()],
            equal: vec!["cluster".into()],
        };
        let mut dispatcher = Dispatcher::new(config_with(by_alertname(), vec![rule], vec![]));
        let critical = alert(&[("alertname", "ClusterDown"), ("severity", "critical"), ("cluster", "eu")], t0());
        dispatcher.receive(critical.clone(), t0());
        dispatcher.receive(alert(&[("alertname", "Slow"), ("severity", "warning"), ("cluster", "eu")], t0()), t0());
        dispatcher.receive(alert(&[("alertname", "Slow"), ("severity", "warning"), ("cluster", "us")], t0()), t0());
        let sent = dispatcher.tick(secs(30), &[]);
        let told: Vec<(&str, &str)> = sent
            .iter()
            .flat_map(|n| n.firing())
            .map(|a| (a.labels.value("alertname"), a.labels.value("cluster")))
            .collect();
        assert_eq!(told, [("ClusterDown", "eu"), ("Slow", "us")]);

        // Once the critical alert resolves, the eu warning is news at the next interval.
        dispatcher.receive(resolved(critical, mins(1)), mins(1));
        let sent = dispatcher.tick(secs(330), &[]);
        let slow = sent.iter().find(|n| n.group_labels.value("alertname") == "Slow").unwrap();
        assert_eq!(slow.firing().count(), 2);
    }

    #[test]
    fn a_silenced_alert_notifies_after_the_silence_expires() {
        let mut dispatcher = dispatcher();
        let silence = Silence {
            matchers: vec![Matcher::parse(r#"alertname="Down""#).unwrap()],
            starts_at: t0(),
            ends_at: mins(10),
            created_by: "ada".into(),
            comment: "deploying".into(),
        };
        dispatcher.receive(alert(&[("alertname", "Down")], t0()), t0());
        let silences = [silence];
        // Looked at 00:30 and 05:30: silenced; at 10:30 the silence has expired.
        assert_eq!(run_until(&mut dispatcher, mins(10), &silences), []);
        let sent = run_until(&mut dispatcher, secs(630), &silences);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].at, secs(630));
    }

    #[test]
    fn mute_intervals_suppress_and_active_intervals_gate() {
        let lunch = NamedTimeInterval {
            name: "lunch".into(),
            intervals: vec![TimeInterval {
                times: vec![TimeRange::parse("12:00", "12:10").unwrap()],
                ..Default::default()
            }],
        };
        let route = RouteConfig {
            routes: vec![
                RouteConfig {
                    receiver: Some("pager".into()),
                    matchers: vec![r#"team="ops""#.into()],
                    mute_time_intervals: vec!["lunch".into()],
                    ..RouteConfig::default()
                },
                RouteConfig {
                    receiver: Some("audit".into()),
                    matchers: vec![r#"team="dev""#.into()],
                    active_time_intervals: vec!["lunch".into()],
                    ..RouteConfig::default()
                },
            ],
            ..by_alertname()
        };
        let mut dispatcher = Dispatcher::new(config_with(route, vec![], vec![lunch]));
        dispatcher.receive(alert(&[("alertname", "Down"), ("team", "ops")], t0()), t0());
        dispatcher.receive(alert(&[("alertname", "Down"), ("team", "dev")], t0()), t0());
        // 12:00:30 is inside lunch: ops is muted, dev is active.
        let at_lunch: Vec<String> = dispatcher.tick(secs(30), &[]).into_iter().map(|n| n.receiver).collect();
        assert_eq!(at_lunch, ["audit"]);
        // 12:10:30 is after lunch: ops finally notifies; dev, outside its window, would not.
        let after: Vec<String> = run_until(&mut dispatcher, secs(630), &[]).into_iter().map(|n| n.receiver).collect();
        assert_eq!(after, ["pager"]);
    }

    #[test]
    fn a_restored_state_carries_on_with_the_same_ids() {
        let mut original = dispatcher();
        original.receive(alert(&[("alertname", "Down"), ("instance", "a")], t0()), t0());
        run_until(&mut original, secs(30), &[]);
        original.receive(alert(&[("alertname", "Down"), ("instance", "b")], mins(1)), mins(1));

        let stored = serde_json::to_string(original.state()).unwrap();
        let mut restored =
            Dispatcher::restore(config_with(by_alertname(), vec![], vec![]), serde_json::from_str(&stored).unwrap());
        assert_eq!(restored.state(), original.state());
        let from_original = run_until(&mut original, mins(30), &[]);
        let from_restored = run_until(&mut restored, mins(30), &[]);
        assert_eq!(from_original.len(), 1);
        assert_eq!(from_original, from_restored);
    }

    #[test]
    fn a_group_whose_route_vanished_is_dropped() {
        let route = RouteConfig {
            routes: vec![RouteConfig { receiver: Some("pager".into()), ..RouteConfig::default() }],
            ..by_alertname()
        };
        let mut before = Dispatcher::new(config_with(route, vec![], vec![]));
        before.receive(alert(&[("alertname", "Down")], t0()), t0());
        let mut after = Dispatcher::restore(config_with(by_alertname(), vec![], vec![]), before.state().clone());
        assert_eq!(after.tick(secs(30), &[]), []);
        assert!(after.state().groups.is_empty());
    }
}
