//! Stores on private addresses are refused when connecting, even when the name looks
//! public: `localhost` resolves to loopback, as a hostile DNS answer would.

use std::time::Duration;

use canopy_commerce_platforms::stand_in::StandIn as _;
use canopy_commerce_platforms::stand_in::woocommerce::{WooCommerceSetup, WooCommerceStandIn};
use canopy_commerce_platforms::{ClientConfig, HttpClient, StoreClients, StoreError};

fn guarded_clients() -> StoreClients {
    let http = HttpClient::new(Duration::from_secs(2)).deny_private_addresses();
    StoreClients::new(http, ClientConfig::default())
}

#[tokio::test]
async fn a_store_name_resolving_to_loopback_is_refused_before_any_request() {
    let store = WooCommerceStandIn::start(WooCommerceSetup::default()).await;
    let port = store.url().rsplit(':').next().unwrap().to_string();
    for host in ["localhost", "127.0.0.1"] {
        let credentials =
            canopy_commerce_platforms::Credentials::WooCommerce(canopy_commerce_platforms::WooCommerceCredentials {
                store_url: format!("http://{host}:{port}"),
                consumer_key: store.setup().consumer_key.clone().into(),
                consumer_secret: store.setup().consumer_secret.clone().into(),
            });
        let error = guarded_clients().check(&credentials).await.unwrap_err();
        match &error {
            StoreError::Unreachable { reason } => assert!(reason.contains("not a public address"), "{reason}"),
            other => panic!("{host}: expected unreachable, got {other:?}"),
        }
    }
    assert!(store.received().is_empty(), "nothing reached the store");
}

#[tokio::test]
async fn a_bigcommerce_base_on_loopback_is_refused_too() {
    let http = HttpClient::new(Duration::from_secs(2)).deny_private_addresses();
    let clients = StoreClients::new(
        http,
        ClientConfig { bigcommerce_base_url: "http://localhost:9".into(), ..ClientConfig::default() },
    );
    let credentials =
        canopy_commerce_platforms::Credentials::BigCommerce(canopy_commerce_platforms::BigCommerceCredentials {
            store_hash: "abc".into(),
            access_token: "tok".to_string().into(),
        });
    assert_eq!(clients.check(&credentials).await.unwrap_err().code(), "unreachable");
}
