//! Tenancy's rules, free of I/O: what a valid customer, branding, domain, image or
//! plan is, and which status changes are allowed.

pub mod branding;
pub mod customer;
pub mod hostname;
pub mod image;
pub mod plan;
