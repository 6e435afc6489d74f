//! Starts the Shopify, WooCommerce and BigCommerce stand-ins on 127.0.0.1 and prints one
//! JSON line on stdout with their base URLs and the credentials they accept, then runs
//! until killed. Browser journeys spawn it and switch modes with
//! `POST {url}/__stand_in/mode`.
//!
//! `canopy-store-stand-in [--shopify-port N] [--woocommerce-port N] [--bigcommerce-port N]
//! [--shopify-token-lifetime SECONDS]` (ports default to 0: any free port).

use std::io::Write as _;
use std::sync::Arc;

use canopy_commerce_platforms::stand_in::bigcommerce::{BigCommerceSetup, BigCommerceStandIn};
use canopy_commerce_platforms::stand_in::shopify::{ShopifySetup, ShopifyStandIn};
use canopy_commerce_platforms::stand_in::woocommerce::{WooCommerceSetup, WooCommerceStandIn};
use canopy_commerce_platforms::stand_in::{StandIn as _, loopback};
use canopy_kit::clock::SystemClock;
use serde_json::json;

struct Options {
    shopify_port: u16,
    woocommerce_port: u16,
    bigcommerce_port: u16,
    token_lifetime: i64,
}

fn options() -> Result<Options, String> {
    let mut options = Options { shopify_port: 0, woocommerce_port: 0, bigcommerce_port: 0, token_lifetime: 3600 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let port = || value.parse::<u16>().map_err(|_| format!("{flag}: {value:?} is not a port"));
        match flag.as_str() {
            "--shopify-port" => options.shopify_port = port()?,
            "--woocommerce-port" => options.woocommerce_port = port()?,
            "--bigcommerce-port" => options.bigcommerce_port = port()?,
            "--shopify-token-lifetime" => {
                options.token_lifetime =
                    value.parse().map_err(|_| format!("{flag}: {value:?} is not a number of seconds"))?
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("canopy-store-stand-in: {problem}");
            return std::process::ExitCode::from(2);
        }
    };
    let shopify_setup = ShopifySetup { token_lifetime_seconds: options.token_lifetime, ..ShopifySetup::default() };
    let started = async {
        let shopify =
            ShopifyStandIn::start_on(shopify_setup, Arc::new(SystemClock), loopback(options.shopify_port)).await?;
        let woocommerce =
            WooCommerceStandIn::start_on(WooCommerceSetup::default(), loopback(options.woocommerce_port)).await?;
        let bigcommerce =
            BigCommerceStandIn::start_on(BigCommerceSetup::default(), loopback(options.bigcommerce_port)).await?;
        std::io::Result::Ok((shopify, woocommerce, bigcommerce))
    };
    let (shopify, woocommerce, bigcommerce) = match started.await {
        Ok(started) => started,
        Err(error) => {
            eprintln!("canopy-store-stand-in: cannot listen: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let (s, w, b) = (shopify.setup(), woocommerce.setup(), bigcommerce.setup());
    let line = json!({
        "shopify": {
            "base_url": shopify.url(),
            "shop_domain": s.shop_domain,
            "access_token": s.access_token,
            "client_id": s.client_id,
            "client_secret": s.client_secret,
        },
        "woocommerce": {
            "base_url": woocommerce.url(),
            "store_url": woocommerce.url(),
            "consumer_key": w.consumer_key,
            "consumer_secret": w.consumer_secret,
        },
        "bigcommerce": {
            "base_url": bigcommerce.url(),
            "store_hash": b.store_hash,
            "access_token": b.access_token,
        },
    });
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}").and_then(|()| stdout.flush()).is_err() {
        return std::process::ExitCode::FAILURE;
    }
    drop(stdout);
    let _ = tokio::signal::ctrl_c().await;
    std::process::ExitCode::SUCCESS
}
