//! Inhibition: a firing alert (a cluster is down) keeps quieter ones it explains
//! (each of its services is unreachable) from notifying.

use serde::{Deserialize, Serialize};

use super::Violation;
use super::labels::{Labels, is_valid_label_name};
use super::matcher::{Matcher, all_match};

/// Alertmanager's `inhibit_rules` entry: a firing alert matching `source_matchers`
/// mutes every alert matching `target_matchers` that agrees with it on the `equal`
/// labels (a label both lack counts as agreeing, as in Alertmanager).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InhibitRule {
    pub source_matchers: Vec<Matcher>,
    pub target_matchers: Vec<Matcher>,
    #[serde(default)]
    pub equal: Vec<String>,
}

impl InhibitRule {
    /// Problems with the rule, under `path` (`inhibit_rules[0]`).
    pub fn validate(&self, path: &str) -> Vec<Violation> {
        let mut violations = Vec::new();
        // An empty side would match every alert: almost surely a mistake.
        if self.source_matchers.is_empty() {
            violations.push(Violation::new(format!("{path}.source_matchers"), "at least one matcher is required"));
        }
        if self.target_matchers.is_empty() {
            violations.push(Violation::new(format!("{path}.target_matchers"), "at least one matcher is required"));
        }
        for (index, name) in self.equal.iter().enumerate() {
            if !is_valid_label_name(name) {
                violations
                    .push(Violation::new(format!("{path}.equal[{index}]"), format!("invalid label name {name:?}")));
            }
        }
        violations
    }

    /// Whether `firing` (the labels of every firing alert) holds a source that mutes
    /// the alert `target` under this rule.
    pub fn inhibits<'a>(&self, target: &Labels, firing: impl IntoIterator<Item = &'a Labels>) -> bool {
        if !all_match(&self.target_matchers, target) {
            return false;
        }
        // An alert matching both sides must not be muted by another alert that also
        // matches both, or two such alerts would silence each other (Alertmanager's
        // "two-sided match" exclusion).
        let target_is_also_source = all_match(&self.source_matchers, target);
        firing.into_iter().any(|source| {
            source != target
                && all_match(&self.source_matchers, source)
                && !(target_is_also_source && all_match(&self.target_matchers, source))
                && self.equal.iter().all(|name| source.value(name) == target.value(name))
        })
    }
}

/// Whether any rule mutes `target`, given the labels of every firing alert.
pub fn is_inhibited(rules: &[InhibitRule], target: &Labels, firing: &[&Labels]) -> bool {
    rules.iter().any(|rule| rule.inhibits(target, firing.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().copied().collect()
    }

    fn rule(source: &str, target: &str, equal: &[&str]) -> InhibitRule {
        InhibitRule {
            source_matchers: vec![Matcher::parse(source).unwrap()],
            target_matchers: vec![Matcher::parse(target).unwrap()],
            equal: equal.iter().map(|name| name.to_string()).collect(),
        }
    }

    #[test]
    fn critical_inhibits_warnings_of_the_same_cluster() {
        let rules = [rule(r#"severity="critical""#, r#"severity="warning""#, &["cluster"])];
        let critical = labels(&[("alertname", "ClusterDown"), ("severity", "critical"), ("cluster", "eu")]);
        let warning_eu = labels(&[("alertname", "Slow"), ("severity", "warning"), ("cluster", "eu")]);
        let warning_us = labels(&[("alertname", "Slow"), ("severity", "warning"), ("cluster", "us")]);
        let firing = [&critical, &warning_eu, &warning_us];
        assert!(is_inhibited(&rules, &warning_eu, &firing));
        assert!(!is_inhibited(&rules, &warning_us, &firing), "other cluster");
        assert!(!is_inhibited(&rules, &critical, &firing), "the source itself");
        // With the critical alert resolved (no longer firing), the warning is back.
        assert!(!is_inhibited(&rules, &warning_eu, &[&warning_eu, &warning_us]));
    }

    #[test]
    fn a_label_both_lack_counts_as_equal() {
        let rules = [rule(r#"severity="critical""#, r#"severity="warning""#, &["cluster"])];
        let critical = labels(&[("severity", "critical")]);
        let warning = labels(&[("severity", "warning")]);
        assert!(is_inhibited(&rules, &warning, &[&critical, &warning]));
    }

    #[test]
    fn alerts_matching_both_sides_do_not_inhibit_each_other() {
        let rules = [rule(r#"alertname=~"Down|Slow""#, r#"alertname=~"Down|Slow""#, &[])];
        let down = labels(&[("alertname", "Down")]);
        let slow = labels(&[("alertname", "Slow")]);
        assert!(!is_inhibited(&rules, &down, &[&down, &slow]));
        assert!(!is_inhibited(&rules, &slow, &[&down, &slow]));
    }

    #[test]
    fn validation_requires_both_sides() {
        let empty = InhibitRule { source_matchers: vec![], target_matchers: vec![], equal: vec!["bad-name".into()] };
        let fields: Vec<String> = empty.validate("inhibit_rules[2]").into_iter().map(|v| v.field).collect();
        assert_eq!(
            fields,
            ["inhibit_rules[2].source_matchers", "inhibit_rules[2].target_matchers", "inhibit_rules[2].equal[0]"]
        );
    }
}
