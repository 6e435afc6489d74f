//! The clients the commerce service uses to talk to a customer's store: Shopify (Admin
//! GraphQL API and its OAuth endpoints), WooCommerce (REST API v3) and BigCommerce
//! (REST v2), behind one trait ([`StoreClient`]).
//!
//! The crate knows nothing about databases or gRPC. The service shows the form of
//! [`Platform::fields`], turns what a person typed into [`Credentials`] with
//! [`validate`] (every violation names its field), and checks a store with
//! [`StoreClients::check`]: the platform's identity call, answering [`StoreInfo`] or a
//! [`StoreError`] whose [`StoreError::code`] it stores.
//!
//! Customers name the hosts these clients call, so the [`canopy_kit::http::HttpClient`]
//! given should be built with `deny_private_addresses()` outside local development.
//! Secrets are `secrecy` types and appear in no error, Debug output or log.

#![forbid(unsafe_code)]

pub mod bigcommerce;
mod credentials;
mod error;
mod platform;
pub mod shopify;
#[cfg(feature = "stand-in")]
pub mod stand_in;
mod transport;
mod validate;
pub mod woocommerce;

use futures_util::future::BoxFuture;

pub use bigcommerce::BigCommerceClient;
pub use canopy_kit::FieldViolation;
pub use canopy_kit::http::HttpClient;
pub use credentials::{BigCommerceCredentials, Credentials, ShopifyAuth, ShopifyCredentials, WooCommerceCredentials};
pub use error::{ERROR_CODES, StoreError};
pub use platform::{FieldSpec, Platform};
pub use shopify::{SHOPIFY_API_VERSION, ShopifyClient, ShopifyConfig};
pub use validate::{ValidationPolicy, validate};
pub use woocommerce::WooCommerceClient;

/// What a store's identity check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    pub platform: Platform,
    /// The store's name, when the platform's identity call gives one (not WooCommerce's).
    pub name: Option<String>,
    /// The store's domain: the shop's myshopify domain, the WooCommerce host, the
    /// BigCommerce primary domain.
    pub domain: Option<String>,
    /// The store's currency (ISO 4217), when the call gives it.
    pub currency: Option<String>,
    /// The scopes granted to the credentials, when the platform lists them (Shopify).
    pub granted_scopes: Vec<String>,
    /// How the credentials were presented.
    pub auth_method: AuthMethod,
}

/// How a client presented the credentials to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// Shopify: the stored Admin API access token in `X-Shopify-Access-Token`.
    ShopifyAccessToken,
    /// Shopify: a token from the client credentials grant in `X-Shopify-Access-Token`.
    ShopifyClientCredentials,
    /// WooCommerce: HTTP Basic with the consumer key and secret.
    BasicAuth,
    /// WooCommerce: `consumer_key`/`consumer_secret` query parameters, for servers that
    /// drop the `Authorization` header.
    QueryString,
    /// BigCommerce: `X-Auth-Token`.
    AuthToken,
}

impl AuthMethod {
    /// A stable identifier: `shopify_access_token`, `shopify_client_credentials`,
    /// `basic_auth`, `query_string` or `auth_token`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ShopifyAccessToken => "shopify_access_token",
            AuthMethod::ShopifyClientCredentials => "shopify_client_credentials",
            AuthMethod::BasicAuth => "basic_auth",
            AuthMethod::QueryString => "query_string",
            AuthMethod::AuthToken => "auth_token",
        }
    }
}

/// A client of one platform's API.
pub trait StoreClient: Send + Sync {
    fn platform(&self) -> Platform;

    /// The platform's health/identity call with `credentials`: whether the store
    /// answers, accepts them, and grants what the integration needs.
    fn check<'a>(&'a self, credentials: &'a Credentials) -> BoxFuture<'a, Result<StoreInfo, StoreError>>;
}

/// Where each platform's API is, and what a Shopify check requires.
#[derive(Clone)]
pub struct ClientConfig {
    pub shopify: ShopifyConfig,
    /// BigCommerce's API base: [`bigcommerce::API_BASE`] in production.
    pub bigcommerce_base_url: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self { shopify: ShopifyConfig::default(), bigcommerce_base_url: bigcommerce::API_BASE.to_string() }
    }
}

/// One client per platform, sharing an HTTP client.
pub struct StoreClients {
    pub shopify: ShopifyClient,
    pub woocommerce: WooCommerceClient,
    pub bigcommerce: BigCommerceClient,
}

impl StoreClients {
    pub fn new(http: HttpClient, config: ClientConfig) -> Self {
        Self {
            shopify: ShopifyClient::new(http.clone(), config.shopify),
            woocommerce: WooCommerceClient::new(http.clone()),
            bigcommerce: BigCommerceClient::new(http, config.bigcommerce_base_url),
        }
    }

    /// The client of `platform`.
    pub fn client(&self, platform: Platform) -> &dyn StoreClient {
        match platform {
            Platform::Shopify => &self.shopify,
            Platform::WooCommerce => &self.woocommerce,
            Platform::BigCommerce => &self.bigcommerce,
        }
    }

    /// Checks a store with the client of its platform.
    pub async fn check(&self, credentials: &Credentials) -> Result<StoreInfo, StoreError> {
        self.client(credentials.platform()).check(credentials).await
    }
}

/// The error for credentials handed to another platform's client (a caller's bug).
pub(crate) fn wrong_platform(client: Platform, credentials: &Credentials) -> StoreError {
    StoreError::unexpected(
        0,
        format!("{} credentials were given to the {} client", credentials.platform(), client.display_name()),
    )
}
