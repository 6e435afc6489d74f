//! The store clients against local stand-ins of each platform: valid credentials, each
//! failure cause a person would see, rate limits and their waits, Shopify's token
//! renewal with a moved clock, WooCommerce's query-string fallback, refusals of private
//! addresses, input validation naming fields, and no credential in any error.

mod bigcommerce;
mod control;
mod secrets;
mod shopify;
mod ssrf;
mod support;
mod validation;
mod woocommerce;
