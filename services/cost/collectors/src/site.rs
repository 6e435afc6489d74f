//! Which site a cost belongs to: the `canopy_site_id` tag or label when the provider
//! reports one, else a resource name or label ending in "-" and the site id's last
//! eight hex digits, the suffix Canopy puts on every resource name it creates.

use std::sync::{Arc, RwLock};

use uuid::Uuid;

use crate::SiteRef;

/// The site whose id ends in the hex digits that follow a "-" in `name` ("shop-1a2b3c4d",
/// also inside longer labels like "shop-1a2b3c4d-2" or "Linode 2GB - shop-1a2b3c4d (123)").
/// `None` when no known site or several match.
pub fn site_from_name(name: &str, sites: &[Uuid]) -> Option<Uuid> {
    let suffixes: Vec<String> = name_suffixes(name).collect();
    if suffixes.is_empty() {
        return None;
    }
    let mut found: Option<Uuid> = None;
    for site in sites {
        let hex = site.simple().to_string();
        if suffixes.iter().any(|suffix| hex.ends_with(suffix.as_str())) {
            match found {
                Some(other) if other != *site => return None,
                _ => found = Some(*site),
            }
        }
    }
    found
}

/// The eight-hex-digit tokens following a "-" and ending the name or followed by
/// something other than a letter or digit, lower-cased.
fn name_suffixes(name: &str) -> impl Iterator<Item = String> + '_ {
    let bytes = name.as_bytes();
    bytes.iter().enumerate().filter_map(move |(at, byte)| {
        if *byte != b'-' || at + 9 > bytes.len() {
            return None;
        }
        let token = &bytes[at + 1..at + 9];
        let bounded = bytes.get(at + 9).is_none_or(|next| !next.is_ascii_alphanumeric());
        (bounded && token.iter().all(u8::is_ascii_hexdigit))
            .then(|| String::from_utf8_lossy(token).to_ascii_lowercase())
    })
}

/// The site of a record: the tag's id when it is one, else a name matched against the
/// known sites, else a name that looks like a site's resource for the caller to match,
/// else unknown.
pub(crate) fn resolve_site(tag: Option<&str>, names: &[&str], sites: &[Uuid]) -> SiteRef {
    let tag = tag.map(str::trim).filter(|tag| !tag.is_empty());
    if let Some(id) = tag.and_then(|tag| Uuid::parse_str(tag).ok()) {
        return SiteRef::Id(id);
    }
    let candidates: Vec<&str> = tag.into_iter().chain(names.iter().copied()).filter(|n| !n.is_empty()).collect();
    for name in &candidates {
        if let Some(id) = site_from_name(name, sites) {
            return SiteRef::Id(id);
        }
    }
    for name in &candidates {
        if name_suffixes(name).next().is_some() {
            return SiteRef::Name((*name).to_string());
        }
    }
    SiteRef::Unknown
}

/// The sites a collector was told about ([`crate::Collector::set_sites`]).
#[derive(Debug, Default)]
pub(crate) struct KnownSites(RwLock<Arc<Vec<Uuid>>>);

impl KnownSites {
    pub fn set(&self, sites: &[Uuid]) {
        let mut slot = self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *slot = Arc::new(sites.to_vec());
    }

    pub fn get(&self) -> Arc<Vec<Uuid>> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}
