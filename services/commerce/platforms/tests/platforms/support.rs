//! Shared fixtures: HTTP clients with short deadlines, and client sets pointed at stand-ins.

use std::sync::Arc;
use std::time::Duration;

use canopy_commerce_platforms::{ClientConfig, HttpClient, ShopifyConfig, StoreClients};
use canopy_kit::clock::{ManualClock, SharedClock};

/// A client for stand-ins on loopback (private addresses allowed).
pub fn http() -> HttpClient {
    HttpClient::new(Duration::from_secs(2))
}

/// Clients whose Shopify and BigCommerce bases are the stand-ins' URLs.
pub fn clients(shopify_url: Option<&str>, bigcommerce_url: Option<&str>, clock: SharedClock) -> StoreClients {
    StoreClients::new(
        http(),
        ClientConfig {
            shopify: ShopifyConfig { base_url: shopify_url.map(str::to_string), clock, ..ShopifyConfig::default() },
            bigcommerce_base_url: bigcommerce_url.unwrap_or("http://127.0.0.1:9").to_string(),
        },
    )
}

pub fn manual_clock() -> (ManualClock, SharedClock) {
    let clock = ManualClock::new();
    let shared: SharedClock = Arc::new(clock.clone());
    (clock, shared)
}
