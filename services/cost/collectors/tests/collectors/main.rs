//! The collectors against local stand-ins of each billing API: the records a user would
//! see, paging, throttling, refused credentials, malformed answers and restated days;
//! plus SigV4 against AWS's published examples, the amount parser, site matching and
//! the sandbox.

mod akamai;
mod aws;
mod azure;
mod digitalocean;
mod gcp;
mod sandbox;
mod support;
mod units;
