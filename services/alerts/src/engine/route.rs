//! The routing tree: which receiver an alert goes to, and how it is grouped and timed.
//!
//! [`RouteConfig`] is the tree as the user writes it (matchers as text, unset values
//! left unset); [`Route::compile`] checks it and resolves every unset value from the
//! parent, as Alertmanager does, into the [`Route`] the dispatcher walks.

use std::collections::BTreeSet;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::Violation;
use super::labels::{Labels, is_valid_label_name};
use super::matcher::{Matcher, all_match};
use super::seconds;

/// Alertmanager's defaults for the root route.
pub const DEFAULT_GROUP_WAIT: TimeDelta = TimeDelta::seconds(30);
pub const DEFAULT_GROUP_INTERVAL: TimeDelta = TimeDelta::minutes(5);
pub const DEFAULT_REPEAT_INTERVAL: TimeDelta = TimeDelta::hours(4);

/// The `group_by` entry meaning "every label of the alert".
pub const GROUP_BY_ALL: &str = "...";

/// One node of the routing tree as configured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteConfig {
    /// The receiver's name; a child without one uses its parent's.
    pub receiver: Option<String>,
    /// Matchers in text form (`severity="critical"`); all must hold. The root has none.
    pub matchers: Vec<String>,
    /// Label names whose values split alerts into groups, or `["..."]` for all labels;
    /// unset inherits, and the root's default is no labels (one group per route).
    pub group_by: Option<Vec<String>>,
    /// How long a new group waits for more alerts before its first notification.
    #[serde(with = "seconds::option")]
    pub group_wait: Option<TimeDelta>,
    /// How long a group waits before notifying about alerts added after its first.
    #[serde(with = "seconds::option")]
    pub group_interval: Option<TimeDelta>,
    /// How long before an unchanged, still firing group is notified again.
    #[serde(with = "seconds::option")]
    pub repeat_interval: Option<TimeDelta>,
    /// Whether matching goes on to the next sibling after this route matched.
    #[serde(rename = "continue")]
    pub continue_matching: bool,
    /// Names of time intervals during which this route sends nothing. Not inherited.
    pub mute_time_intervals: Vec<String>,
    /// Names of time intervals outside which this route sends nothing. Not inherited.
    pub active_time_intervals: Vec<String>,
    pub routes: Vec<RouteConfig>,
}

impl RouteConfig {
    /// Every problem of the tree, each at its field path (`route.routes[1].receiver`).
    pub fn validate(&self, receivers: &BTreeSet<String>, time_intervals: &BTreeSet<String>) -> Vec<Violation> {
        match Route::compile(self, receivers, time_intervals) {
            Ok(_) => Vec::new(),
            Err(violations) => violations,
        }
    }
}

/// How a route splits alerts into groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupBy {
    /// By every label: each distinct alert is its own group (`...`).
    All,
    /// By these labels; alerts agreeing on them share a group.
    Labels(Vec<String>),
}

impl GroupBy {
    /// The labels identifying the alert's group: those of `group_by` the alert has.
    pub fn group_labels(&self, labels: &Labels) -> Labels {
        match self {
            GroupBy::All => labels.clone(),
            GroupBy::Labels(names) => {
                names.iter().filter_map(|name| labels.get(name).map(|value| (name.clone(), value))).collect()
            }
        }
    }
}

/// A checked route with every inherited value resolved.
#[derive(Debug, Clone)]
pub struct Route {
    /// The route's path in the tree (`route`, `route.routes[1]`): stable while the
    /// tree's shape is, and the first part of its groups' keys.
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub receiver: String,
    pub group_by: GroupBy,
    pub group_wait: TimeDelta,
    pub group_interval: TimeDelta,
    pub repeat_interval: TimeDelta,
    pub continue_matching: bool,
    pub mute_time_intervals: Vec<String>,
    pub active_time_intervals: Vec<String>,
    pub routes: Vec<Route>,
}

/// What a child inherits from its parent.
struct Inherited {
    receiver: Option<String>,
    group_by: GroupBy,
    group_wait: TimeDelta,
    group_interval: TimeDelta,
    repeat_interval: TimeDelta,
}

impl Route {
    /// Checks the tree against the receivers and time intervals that exist, and
    /// resolves it; on failure, answers every violation found, not just the first.
    pub fn compile(
        config: &RouteConfig,
        receivers: &BTreeSet<String>,
        time_intervals: &BTreeSet<String>,
    ) -> Result<Route, Vec<Violation>> {
        let mut violations = Vec::new();
        let path = "route";
        if config.receiver.is_none() {
            violations.push(Violation::new(format!("{path}.receiver"), "the root route needs a receiver"));
        }
        if !config.matchers.is_empty() {
            violations.push(Violation::new(
                format!("{path}.matchers"),
                "the root route matches every alert and cannot have matchers",
            ));
        }
        if config.continue_matching {
            violations.push(Violation::new(format!("{path}.continue"), "the root route cannot continue"));
        }
        if !config.mute_time_intervals.is_empty() {
            violations.push(Violation::new(
                format!("{path}.mute_time_intervals"),
                "the root route cannot have mute time intervals",
            ));
        }
        if !config.active_time_intervals.is_empty() {
            violations.push(Violation::new(
                format!("{path}.active_time_intervals"),
                "the root route cannot have active time intervals",
            ));
        }
        let defaults = Inherited {
            receiver: None,
            group_by: GroupBy::Labels(Vec::new()),
            group_wait: DEFAULT_GROUP_WAIT,
            group_interval: DEFAULT_GROUP_INTERVAL,
            repeat_interval: DEFAULT_REPEAT_INTERVAL,
        };
        let route = compile_node(config, path, &defaults, receivers, time_intervals, &mut violations);
        if violations.is_empty() { Ok(route) } else { Err(violations) }
    }

    /// The routes an alert with these labels goes to, in Alertmanager's order:
    /// depth first; the first matching child wins unless it has `continue`; a route
    /// none of whose children match takes the alert itself.
    pub fn matching(&self, labels: &Labels) -> Vec<&Route> {
        if !all_match(&self.matchers, labels) {
            return Vec::new();
        }
        let mut matched = Vec::new();
        for child in &self.routes {
            let below = child.matching(labels);
            let child_matched = !below.is_empty();
            matched.extend(below);
            if child_matched && !child.continue_matching {
                break;
            }
        }
        if matched.is_empty() {
            matched.push(self);
        }
        matched
    }

    /// The route with this id, anywhere in the tree.
    pub fn find(&self, id: &str) -> Option<&Route> {
        if self.id == id {
            return Some(self);
        }
        self.routes.iter().find_map(|child| child.find(id))
    }

    /// Every route of the tree, parents before children.
    pub fn walk(&self) -> Vec<&Route> {
        let mut all = vec![self];
        for child in &self.routes {
            all.extend(child.walk());
        }
        all
    }
}

fn compile_node(
    config: &RouteConfig,
    path: &str,
    parent: &Inherited,
    receivers: &BTreeSet<String>,
    time_intervals: &BTreeSet<String>,
    violations: &mut Vec<Violation>,
) -> Route {
    let receiver = config.receiver.clone().or_else(|| parent.receiver.clone());
    if let Some(name) = &config.receiver
        && !receivers.contains(name)
    {
        violations.push(Violation::new(format!("{path}.receiver"), format!("unknown receiver {name:?}")));
    }

    let mut matchers = Vec::new();
    for (index, text) in config.matchers.iter().enumerate() {
        match Matcher::parse(text) {
            Ok(matcher) => matchers.push(matcher),
            Err(error) => violations.push(Violation::new(format!("{path}.matchers[{index}]"), error.to_string())),
        }
    }

    let group_by = match &config.group_by {
        None => parent.group_by.clone(),
        Some(names) => compile_group_by(names, path, violations),
    };

    let mut duration = |field: &str, value: Option<TimeDelta>, inherited: TimeDelta| match value {
        None => inherited,
        Some(value) if value <= TimeDelta::zero() => {
            violations.push(Violation::new(format!("{path}.{field}"), "must be a positive duration"));
            inherited
        }
        Some(value) => value,
    };
    let group_wait = duration("group_wait", config.group_wait, parent.group_wait);
    let group_interval = duration("group_interval", config.group_interval, parent.group_interval);
    let repeat_interval = duration("repeat_interval", config.repeat_interval, parent.repeat_interval);

    for (field, names) in
        [("mute_time_intervals", &config.mute_time_intervals), ("active_time_intervals", &config.active_time_intervals)]
    {
        for (index, name) in names.iter().enumerate() {
            if !time_intervals.contains(name) {
                violations.push(Violation::new(
                    format!("{path}.{field}[{index}]"),
                    format!("unknown time interval {name:?}"),
                ));
            }
        }
    }

    let inherited = Inherited {
        receiver: receiver.clone(),
        group_by: group_by.clone(),
        group_wait,
        group_interval,
        repeat_interval,
    };
    let routes = config
        .routes
        .iter()
        .enumerate()
        .map(|(index, child)| {
            compile_node(child, &format!("{path}.routes[{index}]"), &inherited, receivers, time_intervals, violations)
        })
        .collect();

    Route {
        id: path.to_owned(),
        matchers,
        // Only the root can lack one, and that is already a violation.
        receiver: receiver.unwrap_or_default(),
        group_by,
        group_wait,
        group_interval,
        repeat_interval,
        continue_matching: config.continue_matching,
        mute_time_intervals: config.mute_time_intervals.clone(),
        active_time_intervals: config.active_time_intervals.clone(),
        routes,
    }
}

fn compile_group_by(names: &[String], path: &str, violations: &mut Vec<Violation>) -> GroupBy {
    if names.iter().any(|name| name == GROUP_BY_ALL) {
        if names.len() > 1 {
            violations.push(Violation::new(
                format!("{path}.group_by"),
                "\"...\" groups by all labels and cannot be combined with label names",
            ));
        }
        return GroupBy::All;
    }
    let mut seen = BTreeSet::new();
    for (index, name) in names.iter().enumerate() {
        if !is_valid_label_name(name) {
            violations
                .push(Violation::new(format!("{path}.group_by[{index}]"), format!("invalid label name {name:?}")));
        } else if !seen.insert(name) {
            violations.push(Violation::new(format!("{path}.group_by[{index}]"), format!("duplicate label {name:?}")));
        }
    }
    GroupBy::Labels(names.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().copied().collect()
    }

    fn child(receiver: &str, matchers: &[&str]) -> RouteConfig {
        RouteConfig {
            receiver: Some(receiver.into()),
            matchers: matchers.iter().map(|m| m.to_string()).collect(),
            ..RouteConfig::default()
        }
    }

    fn tree() -> Route {
        let config = RouteConfig {
            receiver: Some("default".into()),
            group_by: Some(vec!["alertname".into()]),
            routes: vec![
                RouteConfig { continue_matching: true, ..child("audit", &[r#"team=~".+""#]) },
                RouteConfig {
                    group_wait: Some(TimeDelta::seconds(10)),
                    routes: vec![child("pager", &[r#"severity="critical""#])],
                    ..child("ops", &[r#"team="ops""#])
                },
                child("dev", &[r#"team="dev""#]),
                child("never", &[r#"team="dev""#]),
            ],
            ..RouteConfig::default()
        };
        Route::compile(&config, &names(&["default", "audit", "ops", "pager", "dev", "never"]), &BTreeSet::new())
            .unwrap()
    }

    fn receivers(routes: Vec<&Route>) -> Vec<&str> {
        routes.into_iter().map(|route| route.receiver.as_str()).collect()
    }

    #[test]
    fn first_matching_child_wins_and_continue_goes_on() {
        let root = tree();
        // `audit` continues, so `dev` is reached too; the second `dev` route is not.
        assert_eq!(receivers(root.matching(&labels(&[("team", "dev")]))), ["audit", "dev"]);
        // The deepest match wins over its parent.
        assert_eq!(receivers(root.matching(&labels(&[("team", "ops"), ("severity", "critical")]))), ["audit", "pager"]);
        // No grandchild matches: the parent takes the alert.
        assert_eq!(receivers(root.matching(&labels(&[("team", "ops"), ("severity", "warning")]))), ["audit", "ops"]);
        // No child matches at all: the root takes it.
        assert_eq!(receivers(root.matching(&labels(&[("alertname", "Down")]))), ["default"]);
    }

    #[test]
    fn children_inherit_unset_values() {
        let root = tree();
        let pager = root.find("route.routes[1].routes[0]").unwrap();
        assert_eq!(pager.group_wait, TimeDelta::seconds(10), "from its parent ops");
        assert_eq!(pager.group_interval, DEFAULT_GROUP_INTERVAL);
        assert_eq!(pager.repeat_interval, DEFAULT_REPEAT_INTERVAL);
        assert_eq!(pager.group_by, GroupBy::Labels(vec!["alertname".into()]));
        assert_eq!(root.group_wait, DEFAULT_GROUP_WAIT);
        assert_eq!(root.walk().len(), 6);
    }

    #[test]
    fn group_labels_take_only_present_names() {
        let by = GroupBy::Labels(vec!["alertname".into(), "cluster".into()]);
        let alert = labels(&[("alertname", "Down"), ("instance", "a")]);
        assert_eq!(by.group_labels(&alert), labels(&[("alertname", "Down")]));
        assert_eq!(GroupBy::All.group_labels(&alert), alert);
    }

    #[test]
    fn validation_names_every_bad_field() {
        let config = RouteConfig {
            receiver: Some("default".into()),
            group_wait: Some(TimeDelta::zero()),
            routes: vec![
                child("default", &[]),
                RouteConfig {
                    repeat_interval: Some(TimeDelta::seconds(-5)),
                    group_by: Some(vec!["...".into(), "job".into()]),
                    mute_time_intervals: vec!["weekends".into(), "nights".into()],
                    ..child("pager", &["severity", r#"a="b""#])
                },
            ],
            ..RouteConfig::default()
        };
        let violations = config.validate(&names(&["default"]), &names(&["weekends"]));
        let found: Vec<(&str, &str)> = violations.iter().map(|v| (v.field.as_str(), v.description.as_str())).collect();
        assert_eq!(
            found,
            [
                ("route.group_wait", "must be a positive duration"),
                ("route.routes[1].receiver", "unknown receiver \"pager\""),
                ("route.routes[1].matchers[0]", "missing operator: expected one of =, !=, =~, !~ after the label name"),
                ("route.routes[1].group_by", "\"...\" groups by all labels and cannot be combined with label names"),
                ("route.routes[1].repeat_interval", "must be a positive duration"),
                ("route.routes[1].mute_time_intervals[1]", "unknown time interval \"nights\""),
            ]
        );
    }

    #[test]
    fn the_root_needs_a_receiver_and_no_matchers() {
        let config = RouteConfig { matchers: vec![r#"a="b""#.into()], ..RouteConfig::default() };
        let fields: Vec<String> =
            config.validate(&BTreeSet::new(), &BTreeSet::new()).into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["route.receiver", "route.matchers"]);
    }

    #[test]
    fn config_reads_from_json_with_continue() {
        let config: RouteConfig = serde_json::from_str(
            r#"{"receiver":"default","group_wait":15,"routes":[{"receiver":"default","continue":true}]}"#,
        )
        .unwrap();
        assert_eq!(config.group_wait, Some(TimeDelta::seconds(15)));
        assert!(config.routes[0].continue_matching);
    }
}
