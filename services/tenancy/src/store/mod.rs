//! Tenancy's SQL, one module per aggregate. Every function takes a transaction the
//! caller opened with the right scope; row-level security does the tenant filtering,
//! the `where` clauses only say what is asked for.
//!
//! The functions are re-exported here, so handlers call `store::customer(…)` whatever
//! module holds it.

pub mod branding;
pub mod customers;
pub mod outbox;
pub mod plans;
pub mod quota;

pub use branding::{
    BrandingRow, asset, branding, branding_by_verified_domain, mark_domain_verified, put_asset, set_domain,
    update_branding,
};
pub use customers::{
    CustomerFilter, CustomerRow, Overrides, StatusChangeRow, count_customers, customer, customer_by_idempotency_key,
    delete_customer, insert_customer, list_customers, record_status_change, set_owner, set_status, status_changes,
    update_customer,
};
pub use outbox::{EmailRow, claim_due_emails, enqueue_email, enqueue_notification, mark_email};
pub use plans::{PlanRow, effective_limits, plan, plans, upsert_plan};
pub use quota::{Reserved, month_of, release, reserve_deployment, reserve_site, usage};
