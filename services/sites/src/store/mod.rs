//! Sites' SQL, one module per table, always inside a scoped transaction opened by the
//! caller. The functions are re-exported here, so handlers call `store::site(…)`.

pub mod changes;
pub mod sites;

pub use changes::{change_by_key, record_change};
pub use sites::{
    SiteFilter, SiteRow, apply_outcome, count_live_sites, insert_site, list_sites, purge_deleted, set_status, site,
    site_names, update_config,
};
