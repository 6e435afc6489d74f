//! Label sets: the identity of an alert, and their fingerprints.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An alert's labels, name → value, kept sorted so equal sets print, hash and
/// serialise identically. A label that is absent reads as the empty string, as in
/// Prometheus.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `name`, or `""` when the label is absent.
    pub fn value(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A stable 64-bit identity of the set: FNV-1a over each name and value with a
    /// 0xff separator, the way Prometheus fingerprints label sets. It must not change
    /// between releases, because group keys and notification ids are built from it
    /// and stored.
    pub fn fingerprint(&self) -> u64 {
        let mut hash = Fnv1a::new();
        for (name, value) in &self.0 {
            hash.feed(name.as_bytes());
            hash.feed(&[0xff]);
            hash.feed(value.as_bytes());
            hash.feed(&[0xff]);
        }
        hash.finish()
    }

    /// Renders as `{a="1", b="2"}`, Alertmanager's form in group keys.
    pub fn to_matcher_text(&self) -> String {
        let inner: Vec<String> = self.0.iter().map(|(name, value)| format!("{name}={value:?}")).collect();
        format!("{{{}}}", inner.join(", "))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Labels {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(iter.into_iter().map(|(name, value)| (name.into(), value.into())).collect())
    }
}

/// 64-bit FNV-1a: tiny, and fixed forever, unlike std's hasher, which is why stored
/// identities (fingerprints, notification ids) use it.
pub(crate) struct Fnv1a(u64);

impl Fnv1a {
    pub(crate) fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}

/// Whether `name` is a valid Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|rest| rest.is_ascii_alphanumeric() || rest == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_depends_on_content_not_insertion_order() {
        let one: Labels = [("alertname", "Down"), ("job", "web")].into_iter().collect();
        let mut two = Labels::new();
        two.insert("job", "web");
        two.insert("alertname", "Down");
        assert_eq!(one.fingerprint(), two.fingerprint());

        // The separator keeps {a="bc"} and {ab="c"} apart.
        let left: Labels = [("a", "bc")].into_iter().collect();
        let right: Labels = [("ab", "c")].into_iter().collect();
        assert_ne!(left.fingerprint(), right.fingerprint());
    }

    #[test]
    fn fingerprint_is_stable_across_releases() {
        // FNV-1a of the empty set is the offset basis; a change here breaks stored ids.
        assert_eq!(Labels::new().fingerprint(), 0xcbf2_9ce4_8422_2325);
        let labels: Labels = [("a", "b")].into_iter().collect();
        assert_eq!(labels.fingerprint(), labels.clone().fingerprint());
    }

    #[test]
    fn absent_label_reads_as_empty() {
        let labels: Labels = [("job", "web")].into_iter().collect();
        assert_eq!(labels.value("instance"), "");
        assert_eq!(labels.to_matcher_text(), r#"{job="web"}"#);
    }

    #[test]
    fn label_names_follow_prometheus() {
        assert!(is_valid_label_name("severity"));
        assert!(is_valid_label_name("_private9"));
        assert!(!is_valid_label_name("9lives"));
        assert!(!is_valid_label_name("has-dash"));
        assert!(!is_valid_label_name(""));
    }
}
