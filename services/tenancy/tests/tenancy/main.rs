//! Integration tests of the tenancy service with the real identity service, real
//! PostgreSQL and Redis, mTLS, a local SMTP sink and a local DNS server.

mod branding;
mod customers;
mod dns;
mod mail;
mod notification_mail;
mod quota;
mod support;
