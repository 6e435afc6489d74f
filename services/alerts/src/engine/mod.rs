//! The alerting engine: which alerts reach whom, and when.
//!
//! The model is Prometheus Alertmanager's ([`route`], [`silence`], [`inhibit`],
//! [`time_interval`], [`dispatch`]), with PagerDuty-style paging on top
//! ([`escalation`], [`oncall`]). Every module is pure: the caller passes the instant `now`, keeps the
//! state (which serialises, so it can be stored) and does the delivering.

pub mod dispatch;
pub mod escalation;
pub mod inhibit;
pub mod labels;
pub mod matcher;
pub mod oncall;
pub mod route;
pub mod silence;
pub mod time_interval;

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// One problem with a piece of configuration, at the path of the field that has it
/// (`route.routes[1].receiver`), so the service can answer INVALID_ARGUMENT with one
/// field violation per problem and a form can show them all at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub field: String,
    pub description: String,
}

impl Violation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self { field: field.into(), description: description.into() }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// Reads an IANA time zone name (`Europe/Berlin`), answering a violation at `field`
/// when the zone is unknown; the engine's types hold a parsed [`Tz`], so an unknown
/// zone is refused here, at the edge, and cannot reach a computation.
pub fn parse_time_zone(field: &str, name: &str) -> Result<Tz, Violation> {
    Tz::from_str(name).map_err(|_| Violation::new(field, format!("unknown time zone {name:?}")))
}

/// Serialises a [`chrono::TimeDelta`] as whole seconds, since chrono has no serde
/// form for it and the stored state and configuration need one.
pub mod seconds {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &TimeDelta, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(value.num_seconds())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TimeDelta, D::Error> {
        let seconds = i64::deserialize(deserializer)?;
        TimeDelta::try_seconds(seconds).ok_or_else(|| serde::de::Error::custom("duration out of range"))
    }

    /// The same for an optional duration (a route's unset, inherited intervals).
    pub mod option {
        use chrono::TimeDelta;
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(value: &Option<TimeDelta>, serializer: S) -> Result<S::Ok, S::Error> {
            match value {
                Some(delta) => serializer.serialize_some(&delta.num_seconds()),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<TimeDelta>, D::Error> {
            Option::<i64>::deserialize(deserializer)?
                .map(|seconds| {
                    TimeDelta::try_seconds(seconds).ok_or_else(|| serde::de::Error::custom("duration out of range"))
                })
                .transpose()
        }
    }
}
