//! Checks of what a person typed into the credentials form, before anything is stored
//! or called: every violation names its field. Store addresses are refused when they
//! point at Canopy's own network (loopback, private, link-local, CGNAT, multicast, the
//! metadata address) unless the policy allows private addresses (local development);
//! names are checked again when connecting ([`canopy_kit::http::HttpClient::deny_private_addresses`]),
//! since DNS can point a public-looking name anywhere.

use std::collections::HashMap;
use std::net::IpAddr;

use canopy_kit::FieldViolation;
use canopy_kit::http::is_public_address;
use secrecy::SecretString;

use crate::{
    BigCommerceCredentials, Credentials, FieldSpec, Platform, ShopifyAuth, ShopifyCredentials, WooCommerceCredentials,
};

/// What validation allows beyond production's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationPolicy {
    /// The suffix every Shopify shop domain must end in, with its leading dot:
    /// `.myshopify.com` in production.
    pub shopify_domain_suffix: String,
    /// Accept `http://` store URLs (local development against stand-ins).
    pub allow_http: bool,
    /// Accept store hosts that are loopback, private or otherwise non-public addresses.
    pub allow_private_addresses: bool,
}

impl Default for ValidationPolicy {
    fn default() -> Self {
        Self { shopify_domain_suffix: ".myshopify.com".into(), allow_http: false, allow_private_addresses: false }
    }
}

impl ValidationPolicy {
    /// Local development: `http://127.0.0.1:…` stores (the stand-ins) are accepted.
    pub fn development() -> Self {
        Self { allow_http: true, allow_private_addresses: true, ..Self::default() }
    }

    /// The credentials in `fields` (form field name → value, as [`Platform::fields`]
    /// names them), or every violation found. Values are trimmed.
    pub fn validate(
        &self,
        platform: Platform,
        fields: &HashMap<String, String>,
    ) -> Result<Credentials, Vec<FieldViolation>> {
        let mut form = Form { fields, specs: platform.fields(), violations: Vec::new() };
        form.refuse_unknown(platform);
        let credentials = match platform {
            Platform::Shopify => self.shopify(&mut form),
            Platform::WooCommerce => self.woocommerce(&mut form),
            Platform::BigCommerce => bigcommerce(&mut form),
        };
        match credentials {
            Some(credentials) if form.violations.is_empty() => Ok(credentials),
            _ => Err(form.violations),
        }
    }

    fn shopify(&self, form: &mut Form<'_>) -> Option<Credentials> {
        let domain = form.required("shop_domain").map(|d| d.to_ascii_lowercase());
        if let Some(domain) = &domain {
            let suffix = self.shopify_domain_suffix.to_ascii_lowercase();
            let name = domain.strip_suffix(suffix.as_str()).unwrap_or_default();
            let valid_name = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !name.starts_with('-')
                && !name.ends_with('-');
            if !valid_name {
                form.violation(
                    "shop_domain",
                    format!(
                        "must be your shop's permanent domain, <name>{suffix} (letters, digits and hyphens), not a custom domain or URL"
                    ),
                );
            }
        }
        let token = form.optional("access_token");
        let client_id = form.optional("client_id");
        let client_secret = form.optional("client_secret");
        let auth = match (token, client_id, client_secret) {
            (Some(token), None, None) => {
                if !["shpat_", "shpca_", "shppa_"].iter().any(|prefix| token.starts_with(prefix)) {
                    form.violation("access_token", "must be an Admin API access token, starting with shpat_");
                }
                Some(ShopifyAuth::AccessToken(SecretString::from(token)))
            }
            (None, Some(client_id), Some(client_secret)) => {
                if !client_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                    form.violation("client_id", "must contain only letters, digits, hyphens and underscores");
                }
                Some(ShopifyAuth::ClientCredentials { client_id, client_secret: SecretString::from(client_secret) })
            }
            (None, Some(_), None) => {
                form.violation("client_secret", "is required with a client ID");
                None
            }
            (None, None, Some(_)) => {
                form.violation("client_id", "is required with a client secret");
                None
            }
            (None, None, None) => {
                form.violation("access_token", "give an Admin API access token, or a client ID and client secret");
                None
            }
            (Some(_), _, _) => {
                form.violation("access_token", "give either an access token or a client ID and secret, not both");
                None
            }
        };
        Some(Credentials::Shopify(ShopifyCredentials { shop_domain: domain?, auth: auth? }))
    }

    fn woocommerce(&self, form: &mut Form<'_>) -> Option<Credentials> {
        let url = form.required("store_url").and_then(|url| match self.store_url(&url) {
            Ok(url) => Some(url),
            Err(reason) => {
                form.violation("store_url", reason);
                None
            }
        });
        let key = form.required("consumer_key");
        if key.as_ref().is_some_and(|key| !key.starts_with("ck_")) {
            form.violation("consumer_key", "must be a WooCommerce consumer key, starting with ck_");
        }
        let secret = form.required("consumer_secret");
        if secret.as_ref().is_some_and(|secret| !secret.starts_with("cs_")) {
            form.violation("consumer_secret", "must be a WooCommerce consumer secret, starting with cs_");
        }
        Some(Credentials::WooCommerce(WooCommerceCredentials {
            store_url: url?,
            consumer_key: SecretString::from(key?),
            consumer_secret: SecretString::from(secret?),
        }))
    }

    /// The store URL normalised (no trailing slash), or why it is refused.
    fn store_url(&self, text: &str) -> Result<String, String> {
        let uri: http::Uri = text.parse().map_err(|_| "must be a URL such as https://shop.example.com".to_string())?;
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if self.allow_http => {}
            Some("http") => return Err("must use https://: the API keys would cross the internet unencrypted".into()),
            _ => return Err("must be a URL such as https://shop.example.com".into()),
        }
        let authority = uri.authority().ok_or("must name the store's host")?;
        if authority.as_str().contains('@') {
            return Err("must not contain a user name or password".into());
        }
        if uri.query().is_some() || text.contains('#') {
            return Err("must not contain a query or fragment".into());
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        if !self.allow_private_addresses {
            if let Ok(ip) = host.parse::<IpAddr>() {
                if !is_public_address(ip) {
                    return Err(format!("{ip} is not a public address: Canopy only calls stores on the internet"));
                }
            } else if host == "localhost"
                || [".localhost", ".local", ".internal", ".localdomain"].iter().any(|s| host.ends_with(s))
                || !host.contains('.')
            {
                return Err(format!("{host} is not a public host name: Canopy only calls stores on the internet"));
            }
        }
        let path = uri.path().trim_end_matches('/');
        Ok(format!("{}://{}{}", uri.scheme_str().unwrap_or("https"), authority.as_str().to_ascii_lowercase(), path))
    }
}

fn bigcommerce(form: &mut Form<'_>) -> Option<Credentials> {
    let hash = form.required("store_hash").map(|h| h.to_ascii_lowercase());
    if hash.as_ref().is_some_and(|hash| !hash.chars().all(|c| c.is_ascii_alphanumeric())) {
        form.violation("store_hash", "must contain only letters and digits, as in /stores/{hash}/");
    }
    let token = form.required("access_token");
    if token.as_ref().is_some_and(|token| !token.chars().all(|c| c.is_ascii_alphanumeric())) {
        form.violation("access_token", "must contain only letters and digits");
    }
    Some(Credentials::BigCommerce(BigCommerceCredentials {
        store_hash: hash?,
        access_token: SecretString::from(token?),
    }))
}

/// [`ValidationPolicy::validate`] with production's policy.
pub fn validate(platform: Platform, fields: &HashMap<String, String>) -> Result<Credentials, Vec<FieldViolation>> {
    ValidationPolicy::default().validate(platform, fields)
}

struct Form<'a> {
    fields: &'a HashMap<String, String>,
    specs: &'static [FieldSpec],
    violations: Vec<FieldViolation>,
}

impl Form<'_> {
    fn violation(&mut self, field: &str, description: impl Into<String>) {
        self.violations.push(FieldViolation::new(field, description));
    }

    fn refuse_unknown(&mut self, platform: Platform) {
        let mut unknown: Vec<&String> =
            self.fields.keys().filter(|name| !self.specs.iter().any(|spec| spec.name == name.as_str())).collect();
        unknown.sort();
        for name in unknown {
            // The name is the caller's text: shown only when it is plain.
            let field = if name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                name.clone()
            } else {
                "fields".to_string()
            };
            self.violation(&field, format!("is not a {} credential field", platform.display_name()));
        }
    }

    /// The trimmed value, when given and well-formed (length, no control characters).
    fn optional(&mut self, name: &'static str) -> Option<String> {
        let spec = self.specs.iter().find(|spec| spec.name == name).expect("a field of the platform");
        let value = self.fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())?;
        if value.chars().any(char::is_control) {
            self.violation(name, "must not contain control characters");
            return None;
        }
        if value.chars().count() > spec.max_length {
            self.violation(name, format!("must be at most {} characters", spec.max_length));
            return None;
        }
        Some(value.to_string())
    }

    fn required(&mut self, name: &'static str) -> Option<String> {
        let given = self.fields.get(name).is_some_and(|v| !v.trim().is_empty());
        if !given {
            self.violation(name, "is required");
            return None;
        }
        self.optional(name)
    }
}
