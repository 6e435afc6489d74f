//! A store's credentials once validated ([`crate::validate`]): secrets are
//! [`SecretString`]s (zeroized on drop, `[REDACTED]` in Debug), read only where a request
//! is built. [`Credentials::hint`] is what may be shown back: the secret's last four
//! characters.

use secrecy::{ExposeSecret as _, SecretString};

use crate::Platform;

/// Validated credentials of one store.
#[derive(Debug, Clone)]
pub enum Credentials {
    Shopify(ShopifyCredentials),
    WooCommerce(WooCommerceCredentials),
    BigCommerce(BigCommerceCredentials),
}

/// A Shopify store: its permanent domain and how the app authenticates.
#[derive(Debug, Clone)]
pub struct ShopifyCredentials {
    /// `<name>.myshopify.com`, lower case.
    pub shop_domain: String,
    pub auth: ShopifyAuth,
}

/// How a Shopify app authenticates.
#[derive(Debug, Clone)]
pub enum ShopifyAuth {
    /// A long-lived Admin API access token (`shpat_…`), sent as `X-Shopify-Access-Token`.
    AccessToken(SecretString),
    /// An app's client id and secret, exchanged (client credentials grant) for access
    /// tokens that expire; the client caches and renews them.
    ClientCredentials { client_id: String, client_secret: SecretString },
}

/// A WooCommerce store: its WordPress address and a REST API key pair.
#[derive(Debug, Clone)]
pub struct WooCommerceCredentials {
    /// `https://host[:port][/path]`, no trailing slash.
    pub store_url: String,
    /// `ck_…`.
    pub consumer_key: SecretString,
    /// `cs_…`.
    pub consumer_secret: SecretString,
}

/// A BigCommerce store: its hash and a store-level API account's token.
#[derive(Debug, Clone)]
pub struct BigCommerceCredentials {
    /// Lower-case letters and digits.
    pub store_hash: String,
    /// Sent as `X-Auth-Token`.
    pub access_token: SecretString,
}

impl Credentials {
    pub fn platform(&self) -> Platform {
        match self {
            Credentials::Shopify(_) => Platform::Shopify,
            Credentials::WooCommerce(_) => Platform::WooCommerce,
            Credentials::BigCommerce(_) => Platform::BigCommerce,
        }
    }

    /// The last four characters of the secret (the access token, client secret or
    /// consumer secret), to show which credential is stored: `…1a2b`.
    pub fn hint(&self) -> String {
        let secret = match self {
            Credentials::Shopify(shop) => match &shop.auth {
                ShopifyAuth::AccessToken(token) => token,
                ShopifyAuth::ClientCredentials { client_secret, .. } => client_secret,
            },
            Credentials::WooCommerce(store) => &store.consumer_secret,
            Credentials::BigCommerce(store) => &store.access_token,
        };
        hint(secret.expose_secret())
    }

    /// Where the store is, for display: the shop domain, store URL or store hash.
    pub fn store_label(&self) -> &str {
        match self {
            Credentials::Shopify(shop) => &shop.shop_domain,
            Credentials::WooCommerce(store) => &store.store_url,
            Credentials::BigCommerce(store) => &store.store_hash,
        }
    }
}

/// `…` and the last four characters (fewer when the secret is that short).
pub(crate) fn hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("…{tail}")
}
