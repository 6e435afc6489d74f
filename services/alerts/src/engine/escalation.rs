//! Escalation: paging people about an incident, step by step, until someone
//! acknowledges.
//!
//! A policy is PagerDuty's: ordered steps, each paging its targets and waiting
//! before the next; after the last step the policy starts over, `repeat` more times.
//! An [`Incident`] walks its policy as [`Incident::tick`] is called with the time;
//! acknowledging or resolving it stops the paging.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Violation;
use super::oncall::{Schedule, UserId};
use super::seconds;

/// PagerDuty's limit on how often a policy may start over.
pub const MAX_REPEATS: u32 = 9;

/// Whom a step pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A configured receiver (a chat channel, a webhook).
    Receiver(String),
    /// One person.
    User(UserId),
    /// Whoever is on call on the named schedule when the step is reached.
    Schedule(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationStep {
    pub targets: Vec<Target>,
    /// How long to wait for an acknowledgement before the next step.
    #[serde(with = "seconds")]
    pub wait: TimeDelta,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationPolicy {
    pub name: String,
    pub steps: Vec<EscalationStep>,
    /// How many more times the whole policy runs after its first pass.
    #[serde(default)]
    pub repeat: u32,
}

impl EscalationPolicy {
    /// Every problem with the policy, under `escalation_policy.`.
    pub fn validate(&self, receivers: &BTreeSet<String>, schedules: &BTreeSet<String>) -> Vec<Violation> {
        let mut violations = Vec::new();
        if self.name.trim().is_empty() {
            violations.push(Violation::new("escalation_policy.name", "is required"));
        }
        if self.steps.is_empty() {
            violations.push(Violation::new("escalation_policy.steps", "at least one step is required"));
        }
        if self.repeat > MAX_REPEATS {
            violations.push(Violation::new("escalation_policy.repeat", format!("must be at most {MAX_REPEATS}")));
        }
        for (index, step) in self.steps.iter().enumerate() {
            let path = format!("escalation_policy.steps[{index}]");
            if step.targets.is_empty() {
                violations.push(Violation::new(format!("{path}.targets"), "at least one target is required"));
            }
            if step.wait < TimeDelta::minutes(1) {
                violations.push(Violation::new(format!("{path}.wait"), "must be at least one minute"));
            }
            for (target_index, target) in step.targets.iter().enumerate() {
                let field = format!("{path}.targets[{target_index}]");
                match target {
                    Target::Receiver(name) if !receivers.contains(name) => {
                        violations.push(Violation::new(field, format!("unknown receiver {name:?}")));
                    }
                    Target::Schedule(name) if !schedules.contains(name) => {
                        violations.push(Violation::new(field, format!("unknown schedule {name:?}")));
                    }
                    Target::User(user) if user.0.trim().is_empty() => {
                        violations.push(Violation::new(field, "the user is required"));
                    }
                    Target::Receiver(_) | Target::Schedule(_) | Target::User(_) => {}
                }
            }
        }
        violations
    }
}

/// Where an incident stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Triggered,
    Acknowledged { by: UserId, at: DateTime<Utc> },
    Resolved { at: DateTime<Utc> },
}

/// Who actually gets a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Receiver(String),
    User(UserId),
    /// The step's schedule had nobody on call: the page reached no one, which the
    /// service should make loud.
    NobodyOnCall {
        schedule: String,
    },
}

/// One page due now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Stable per incident, pass, step and target, so a retried delivery reuses it.
    pub id: String,
    pub incident_id: String,
    /// 0 for the first pass through the policy, 1 for the first repeat, …
    pub pass: u32,
    pub step: usize,
    pub recipient: Recipient,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IncidentError {
    #[error("the incident is already resolved")]
    AlreadyResolved,
}

/// An incident paging through its escalation policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    /// The policy as it was when the incident triggered: editing a policy does not
    /// reshuffle incidents already under way.
    pub policy: EscalationPolicy,
    pub triggered_at: DateTime<Utc>,
    pub status: IncidentStatus,
    /// The next step to page, and in which pass.
    pub next_step: usize,
    pub pass: u32,
    /// When that step is due; `None` once paging is over.
    pub next_page_at: Option<DateTime<Utc>>,
}

impl Incident {
    /// A new incident; its first step is due at once.
    pub fn trigger(id: impl Into<String>, policy: EscalationPolicy, now: DateTime<Utc>) -> Self {
        let next_page_at = (!policy.steps.is_empty()).then_some(now);
        Self {
            id: id.into(),
            policy,
            triggered_at: now,
            status: IncidentStatus::Triggered,
            next_step: 0,
            pass: 0,
            next_page_at,
        }
    }

    /// The pages due by `now`, resolving schedule targets to whoever is on call when
    /// each step was due; a tick after a long pause catches up on every step missed.
    pub fn tick(&mut self, now: DateTime<Utc>, schedules: &BTreeMap<String, Schedule>) -> Vec<Page> {
        let mut pages = Vec::new();
        while let Some(due) = self.next_page_at.filter(|due| *due <= now) {
            let Some(step) = self.policy.steps.get(self.next_step) else {
                self.next_page_at = None;
                break;
            };
            for (index, target) in step.targets.iter().enumerate() {
                let recipient = match target {
                    Target::Receiver(name) => Recipient::Receiver(name.clone()),
                    Target::User(user) => Recipient::User(user.clone()),
                    Target::Schedule(name) => schedules
                        .get(name)
                        .and_then(|schedule| schedule.on_call_at(due))
                        .map(Recipient::User)
                        .unwrap_or_else(|| Recipient::NobodyOnCall { schedule: name.clone() }),
                };
                pages.push(Page {
                    id: format!("{}-{}-{}-{}", self.id, self.pass, self.next_step, index),
                    incident_id: self.id.clone(),
                    pass: self.pass,
                    step: self.next_step,
                    recipient,
                    at: due,
                });
            }
            let waited_until = due + step.wait;
            if self.next_step + 1 < self.policy.steps.len() {
                self.next_step += 1;
                self.next_page_at = Some(waited_until);
            } else if self.pass < self.policy.repeat {
                self.pass += 1;
                self.next_step = 0;
                self.next_page_at = Some(waited_until);
            } else {
                self.next_page_at = None;
            }
        }
        pages
    }

    /// Someone has it: no more pages. Acknowledging again keeps the first.
    pub fn acknowledge(&mut self, by: UserId, now: DateTime<Utc>) -> Result<(), IncidentError> {
        match self.status {
            IncidentStatus::Resolved { .. } => Err(IncidentError::AlreadyResolved),
            IncidentStatus::Acknowledged { .. } => Ok(()),
            IncidentStatus::Triggered => {
                self.status = IncidentStatus::Acknowledged { by, at: now };
                self.next_page_at = None;
                Ok(())
            }
        }
    }

    /// The problem is gone; resolving twice keeps the first time.
    pub fn resolve(&mut self, now: DateTime<Utc>) {
        if !matches!(self.status, IncidentStatus::Resolved { .. }) {
            self.status = IncidentStatus::Resolved { at: now };
        }
        self.next_page_at = None;
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::engine::oncall::{Layer, RotationLength};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 3, 12, 0, 0).unwrap()
    }

    fn mins(minutes: i64) -> DateTime<Utc> {
        t0() + TimeDelta::minutes(minutes)
    }

    /// Page the on-call engineer; after 10 minutes, the team lead and the channel.
    fn policy(repeat: u32) -> EscalationPolicy {
        EscalationPolicy {
            name: "web".into(),
            steps: vec![
                EscalationStep { targets: vec![Target::Schedule("ops".into())], wait: TimeDelta::minutes(10) },
                EscalationStep {
                    targets: vec![Target::User("lead".into()), Target::Receiver("chat".into())],
                    wait: TimeDelta::minutes(15),
                },
            ],
            repeat,
        }
    }

    /// `ada` until 12:05 UTC, then `bob` (6-hour turns starting 06:05).
    fn schedules() -> BTreeMap<String, Schedule> {
        let layer = Layer {
            name: "primary".into(),
            users: vec!["bob".into(), "ada".into()],
            rotation: RotationLength::Hours(6),
            rotation_start: Utc.with_ymd_and_hms(2025, 3, 3, 0, 5, 0).unwrap(),
            time_zone: chrono_tz::UTC,
            starts_at: None,
            ends_at: None,
            restrictions: vec![],
            priority: None,
        };
        [("ops".to_owned(), Schedule { name: "ops".into(), layers: vec![layer], overrides: vec![] })].into()
    }

    fn recipients(pages: &[Page]) -> Vec<(u32, usize, Recipient)> {
        pages.iter().map(|page| (page.pass, page.step, page.recipient.clone())).collect()
    }

    #[test]
    fn step_two_is_reached_when_nobody_acknowledges() {
        let schedules = schedules();
        let mut incident = Incident::trigger("inc-1", policy(0), t0());
        assert_eq!(recipients(&incident.tick(t0(), &schedules)), [(0, 0, Recipient::User("ada".into()))]);
        assert_eq!(incident.tick(mins(9), &schedules), []);
        let second = incident.tick(mins(10), &schedules);
        assert_eq!(
            recipients(&second),
            [(0, 1, Recipient::User("lead".into())), (0, 1, Recipient::Receiver("chat".into()))]
        );
        assert_eq!(second[0].id, "inc-1-0-1-0");
        // No repeats: nothing after the last step.
        assert_eq!(incident.tick(mins(600), &schedules), []);
        assert_eq!(incident.next_page_at, None);
    }

    #[test]
    fn acknowledging_stops_the_escalation() {
        let schedules = schedules();
        let mut incident = Incident::trigger("inc-1", policy(3), t0());
        incident.tick(t0(), &schedules);
        incident.acknowledge("ada".into(), mins(4)).unwrap();
        assert_eq!(incident.tick(mins(600), &schedules), []);
        assert_eq!(incident.status, IncidentStatus::Acknowledged { by: "ada".into(), at: mins(4) });
        incident.resolve(mins(30));
        assert_eq!(incident.acknowledge("bob".into(), mins(31)), Err(IncidentError::AlreadyResolved));
        assert_eq!(incident.status, IncidentStatus::Resolved { at: mins(30) });
    }

    #[test]
    fn resolving_stops_the_escalation() {
        let mut incident = Incident::trigger("inc-1", policy(3), t0());
        incident.tick(t0(), &schedules());
        incident.resolve(mins(5));
        assert_eq!(incident.tick(mins(600), &schedules()), []);
    }

    #[test]
    fn the_policy_repeats_as_often_as_configured() {
        let schedules = schedules();
        let mut incident = Incident::trigger("inc-1", policy(2), t0());
        // Catching up in one late tick pages every step that came due, at its time.
        let pages = incident.tick(mins(1000), &schedules);
        let steps: Vec<(u32, usize, DateTime<Utc>)> = pages
            .iter()
            .filter(|page| page.recipient != Recipient::Receiver("chat".into()))
            .map(|page| (page.pass, page.step, page.at))
            .collect();
        assert_eq!(
            steps,
            [(0, 0, t0()), (0, 1, mins(10)), (1, 0, mins(25)), (1, 1, mins(35)), (2, 0, mins(50)), (2, 1, mins(60))]
        );
        // The schedule is asked at each step's own time: bob took over at 12:05.
        assert_eq!(pages[3].recipient, Recipient::User("bob".into()));
        assert_eq!(incident.next_page_at, None);
    }

    #[test]
    fn an_unstaffed_schedule_is_reported() {
        let mut incident = Incident::trigger("inc-1", policy(0), t0());
        assert_eq!(
            recipients(&incident.tick(t0(), &BTreeMap::new())),
            [(0, 0, Recipient::NobodyOnCall { schedule: "ops".into() })]
        );
    }

    #[test]
    fn validation_names_the_bad_steps() {
        let mut bad = policy(10);
        bad.steps[0].wait = TimeDelta::seconds(30);
        bad.steps[1].targets.push(Target::Schedule("nights".into()));
        bad.steps.push(EscalationStep { targets: vec![], wait: TimeDelta::minutes(5) });
        let receivers = ["chat".to_owned()].into();
        let schedules = ["ops".to_owned()].into();
        let fields: Vec<String> = bad.validate(&receivers, &schedules).into_iter().map(|v| v.field).collect();
        assert_eq!(
            fields,
            [
                "escalation_policy.repeat",
                "escalation_policy.steps[0].wait",
                "escalation_policy.steps[1].targets[2]",
                "escalation_policy.steps[2].targets"
            ]
        );
        assert_eq!(policy(9).validate(&receivers, &schedules), []);
    }

    #[test]
    fn an_incident_round_trips_through_storage() {
        let mut incident = Incident::trigger("inc-1", policy(1), t0());
        incident.tick(t0(), &schedules());
        let stored: Incident = serde_json::from_str(&serde_json::to_string(&incident).unwrap()).unwrap();
        assert_eq!(stored, incident);
    }
}
