//! The platforms Canopy connects to and the credential fields each needs: what the
//! portal's form shows (label, whether it is a secret, where to find it, the longest
//! value accepted) and what [`crate::validate`] checks.

use serde::{Deserialize, Serialize};

/// A store platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Shopify,
    WooCommerce,
    BigCommerce,
}

/// One credential field of a platform, as the portal's form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldSpec {
    /// The key in the map [`crate::validate`] reads, e.g. `shop_domain`.
    pub name: &'static str,
    pub label: &'static str,
    /// Shown as a password field, never echoed back, kept as a secret.
    pub secret: bool,
    /// Whether the field is required. Shopify's token and client credentials are
    /// alternatives: one of the two is required ([`FieldSpec::alternative`]).
    pub required: bool,
    /// The name of the group of fields of which exactly one set must be given, if any.
    pub alternative: Option<&'static str>,
    /// Where to find the value.
    pub help: &'static str,
    /// The longest value accepted, in characters.
    pub max_length: usize,
}

impl Platform {
    /// Every platform.
    pub const ALL: [Platform; 3] = [Platform::Shopify, Platform::WooCommerce, Platform::BigCommerce];

    /// The stable identifier: `shopify`, `woocommerce` or `bigcommerce`.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
            Platform::WooCommerce => "woocommerce",
            Platform::BigCommerce => "bigcommerce",
        }
    }

    /// The platform with this identifier.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// The name people know it by.
    pub fn display_name(self) -> &'static str {
        match self {
            Platform::Shopify => "Shopify",
            Platform::WooCommerce => "WooCommerce",
            Platform::BigCommerce => "BigCommerce",
        }
    }

    /// The credential fields the platform needs, in form order.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Platform::Shopify => SHOPIFY_FIELDS,
            Platform::WooCommerce => WOOCOMMERCE_FIELDS,
            Platform::BigCommerce => BIGCOMMERCE_FIELDS,
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest host name DNS allows.
const HOST_MAX: usize = 253;
/// Tokens and keys are far shorter; this bounds what a form can post.
const SECRET_MAX: usize = 512;

static SHOPIFY_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "shop_domain",
        label: "Shop domain",
        secret: false,
        required: true,
        alternative: None,
        help: "Your store's permanent domain, ending in .myshopify.com (Shopify admin → Settings → Domains), not a custom domain",
        max_length: HOST_MAX,
    },
    FieldSpec {
        name: "access_token",
        label: "Admin API access token",
        secret: true,
        required: false,
        alternative: Some("token"),
        help: "Starts with shpat_. Shopify admin → Settings → Apps and sales channels → Develop apps → your app → API credentials; shown once when the app is installed",
        max_length: SECRET_MAX,
    },
    FieldSpec {
        name: "client_id",
        label: "Client ID",
        secret: false,
        required: false,
        alternative: Some("client_credentials"),
        help: "For apps whose tokens expire: Dev Dashboard → Apps → your app → Settings → Client ID",
        max_length: 128,
    },
    FieldSpec {
        name: "client_secret",
        label: "Client secret",
        secret: true,
        required: false,
        alternative: Some("client_credentials"),
        help: "Dev Dashboard → Apps → your app → Settings → Secret; Canopy exchanges it for short-lived access tokens",
        max_length: SECRET_MAX,
    },
];

static WOOCOMMERCE_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "store_url",
        label: "Store URL",
        secret: false,
        required: true,
        alternative: None,
        help: "Your WordPress site's address over HTTPS, e.g. https://shop.example.com (permalinks must not be \"Plain\")",
        max_length: 2048,
    },
    FieldSpec {
        name: "consumer_key",
        label: "Consumer key",
        secret: true,
        required: true,
        alternative: None,
        help: "Starts with ck_. WordPress admin → WooCommerce → Settings → Advanced → REST API → Add key (Read access is enough)",
        max_length: 128,
    },
    FieldSpec {
        name: "consumer_secret",
        label: "Consumer secret",
        secret: true,
        required: true,
        alternative: None,
        help: "Starts with cs_. Shown once, next to the consumer key, when the key is generated",
        max_length: SECRET_MAX,
    },
];

static BIGCOMMERCE_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "store_hash",
        label: "Store hash",
        secret: false,
        required: true,
        alternative: None,
        help: "The code in your control panel's address, store-{hash}.mybigcommerce.com, or in the API path /stores/{hash}/",
        max_length: 64,
    },
    FieldSpec {
        name: "access_token",
        label: "Access token",
        secret: true,
        required: true,
        alternative: None,
        help: "BigCommerce control panel → Settings → Store-level API accounts → Create API account (Information & settings: read-only); shown once",
        max_length: SECRET_MAX,
    },
];
