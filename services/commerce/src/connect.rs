//! From a connection form to a store's answer: the form's values checked by
//! `canopy-commerce-platforms` (every problem named by its field), sealed for their row
//! with the kit's envelope encryption, opened again for a check, and the store's answer
//! turned into a cause a person understands.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use canopy_commerce_platforms::{
    ClientConfig, Credentials, FieldViolation, HttpClient, Platform, ShopifyConfig, StoreClients, StoreError,
    ValidationPolicy,
};
use canopy_kit::clock::SharedClock;
use canopy_kit::secrets::{Binding, Secrets};
use canopy_sdk::proto::canopy::commerce::v1 as proto;
use secrecy::{ExposeSecret as _, SecretString};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::CommerceConfig;
use crate::store::IntegrationRow;

/// The table and column sealed credentials live in (the binding of their ciphertext).
const TABLE: &str = "integration";
const COLUMN: &str = "credentials";

/// Why a check did not succeed, as stored (`cause`) and as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    None,
    Unauthorized,
    MissingScope,
    Frozen,
    Locked,
    RateLimited,
    Unreachable,
    NotFound,
    Unexpected,
}

impl Cause {
    /// The stored code: the platforms crate's [`StoreError::code`], empty for success.
    pub fn code(self) -> &'static str {
        match self {
            Cause::None => "",
            Cause::Unauthorized => "unauthorized",
            Cause::MissingScope => "missing_scope",
            Cause::Frozen => "frozen",
            Cause::Locked => "locked",
            Cause::RateLimited => "rate_limited",
            Cause::Unreachable => "unreachable",
            Cause::NotFound => "not_found",
            Cause::Unexpected => "unexpected",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            Cause::None,
            Cause::Unauthorized,
            Cause::MissingScope,
            Cause::Frozen,
            Cause::Locked,
            Cause::RateLimited,
            Cause::Unreachable,
            Cause::NotFound,
            Cause::Unexpected,
        ]
        .into_iter()
        .find(|cause| cause.code() == code)
    }

    /// The `ErrorInfo` reason of a refused connection.
    pub fn reason(self) -> &'static str {
        match self {
            Cause::None => "STORE_ACCEPTED",
            Cause::Unauthorized => "STORE_UNAUTHORIZED",
            Cause::MissingScope => "STORE_MISSING_SCOPE",
            Cause::Frozen => "STORE_FROZEN",
            Cause::Locked => "STORE_LOCKED",
            Cause::RateLimited => "STORE_RATE_LIMITED",
            Cause::Unreachable => "STORE_UNREACHABLE",
            Cause::NotFound => "STORE_NOT_FOUND",
            Cause::Unexpected => "STORE_UNEXPECTED",
        }
    }

    fn of(error: &StoreError) -> Self {
        match error {
            StoreError::Unauthorized => Cause::Unauthorized,
            StoreError::MissingScope { .. } => Cause::MissingScope,
            StoreError::Frozen => Cause::Frozen,
            StoreError::Locked => Cause::Locked,
            StoreError::RateLimited { .. } => Cause::RateLimited,
            StoreError::Unreachable { .. } => Cause::Unreachable,
            StoreError::NotFound => Cause::NotFound,
            StoreError::Unexpected { .. } => Cause::Unexpected,
        }
    }
}

/// What one check found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub healthy: bool,
    pub cause: Cause,
    /// In words, for people.
    pub message: String,
    pub store_name: Option<String>,
    pub missing_scopes: Vec<String>,
    pub retry_after: Option<Duration>,
}

impl Outcome {
    pub fn failed(cause: Cause, message: String) -> Self {
        Self { healthy: false, cause, message, store_name: None, missing_scopes: Vec::new(), retry_after: None }
    }
}

/// A store's validated credentials, and the form they came from (what is sealed).
pub struct Connection {
    credentials: Credentials,
    /// The form's values as JSON: sealed as one value.
    form: SecretString,
    hints: serde_json::Value,
}

impl Connection {
    pub fn platform_code(&self) -> &'static str {
        self.credentials.platform().as_str()
    }

    /// The shop domain, store URL or store hash.
    pub fn store(&self) -> &str {
        self.credentials.store_label()
    }

    /// Field name → what may be shown: the last four characters of secrets, other
    /// fields whole.
    pub fn hints(&self) -> serde_json::Value {
        self.hints.clone()
    }
}

/// The platforms' clients and the rules store addresses must follow.
pub struct Stores {
    policy: ValidationPolicy,
    clients: StoreClients,
    timeout: Duration,
}

impl Stores {
    pub fn new(config: &CommerceConfig, clock: SharedClock) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs_f64(config.check_timeout_secs);
        // Plain http is refused by validation unless allowed (store URLs are the only
        // addresses customers name).
        let mut http = HttpClient::new(timeout).with_max_response(1024 * 1024);
        if !config.allow_private_addresses {
            // A customer names the host: it must not reach inside the platform's network,
            // whatever its DNS answers.
            http = http.deny_private_addresses();
        }
        let base_url = (!config.shopify_base_url.is_empty()).then(|| config.shopify_base_url.clone());
        let clients = StoreClients::new(
            http,
            ClientConfig {
                shopify: ShopifyConfig { base_url, required_scopes: config.shopify_required_scopes.clone(), clock },
                bigcommerce_base_url: config.bigcommerce_api_url.clone(),
            },
        );
        let policy = ValidationPolicy {
            shopify_domain_suffix: format!(".{}", config.shopify_domain_suffix),
            allow_http: config.allow_http,
            allow_private_addresses: config.allow_private_addresses,
        };
        Ok(Self { policy, clients, timeout })
    }

    /// A connection form checked; every violation names its field.
    pub fn parse(
        &self,
        platform: proto::Platform,
        fields: &HashMap<String, String>,
    ) -> Result<Connection, Vec<FieldViolation>> {
        let platform = platform_of(platform).ok_or_else(|| vec![FieldViolation::new("platform", "is not known")])?;
        let credentials = self.policy.validate(platform, fields)?;
        let specs = platform.fields();
        // Only the fields the platform declares are kept (validation refused others).
        let form: BTreeMap<&str, &str> = specs
            .iter()
            .filter_map(|spec| fields.get(spec.name).map(|value| (spec.name, value.trim())))
            .filter(|(_, value)| !value.is_empty())
            .collect();
        let hints: serde_json::Map<String, serde_json::Value> = specs
            .iter()
            .filter_map(|spec| {
                let value = form.get(spec.name)?;
                let shown = if spec.secret { last_four(value) } else { (*value).to_owned() };
                Some((spec.name.to_owned(), serde_json::Value::String(shown)))
            })
            .collect();
        let form = serde_json::to_string(&form).expect("a map of strings serialises");
        Ok(Connection { credentials, form: SecretString::from(form), hints: serde_json::Value::Object(hints) })
    }

    /// The connection's form sealed for integration `id` of `tenant` (`tx` is the
    /// tenant's transaction).
    pub async fn seal(
        &self,
        secrets: &Secrets,
        tx: &mut PgConnection,
        tenant: Uuid,
        id: Uuid,
        connection: &Connection,
    ) -> anyhow::Result<Vec<u8>> {
        Ok(secrets.encrypt_str(tx, &binding(tenant, id), &connection.form).await?)
    }

    /// A stored integration's connection, opened and checked again.
    pub async fn open(
        &self,
        secrets: &Secrets,
        tx: &mut PgConnection,
        row: &IntegrationRow,
    ) -> anyhow::Result<Connection> {
        let form = secrets.decrypt_string(tx, &binding(row.tenant_id, row.id), &row.credentials).await?;
        let fields: HashMap<String, String> = serde_json::from_str(form.expose_secret())
            .map_err(|_| anyhow::anyhow!("sealed credentials of integration {} are not a form", row.id))?;
        let platform = platform_from_code(&row.platform)
            .ok_or_else(|| anyhow::anyhow!("integration {} has unknown platform {:?}", row.id, row.platform))?;
        self.parse(platform, &fields).map_err(|violations| {
            let fields: Vec<String> = violations.into_iter().map(|v| v.field).collect();
            anyhow::anyhow!("stored credentials of integration {} no longer validate ({})", row.id, fields.join(", "))
        })
    }

    /// Calls the store; never fails: an error is an unhealthy outcome with its cause.
    pub async fn check(&self, connection: &Connection) -> Outcome {
        let answer = tokio::time::timeout(self.timeout, self.clients.check(&connection.credentials)).await;
        match answer {
            Ok(Ok(info)) => Outcome {
                healthy: true,
                cause: Cause::None,
                message: match &info.name {
                    Some(name) => format!("connected to {name}"),
                    None => "connected".to_owned(),
                },
                store_name: info.name,
                missing_scopes: Vec::new(),
                retry_after: None,
            },
            Ok(Err(error)) => Outcome {
                healthy: false,
                cause: Cause::of(&error),
                message: error.to_string(),
                store_name: None,
                missing_scopes: match &error {
                    StoreError::MissingScope { missing } => missing.clone(),
                    _ => Vec::new(),
                },
                retry_after: error.retry_after(),
            },
            Err(_) => Outcome::failed(
                Cause::Unreachable,
                format!("the store could not be reached: no answer within {:?}", self.timeout),
            ),
        }
    }
}

fn binding(tenant: Uuid, id: Uuid) -> Binding {
    Binding::tenant(tenant, TABLE, id.to_string(), COLUMN)
}

/// `…` and the last four characters.
fn last_four(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("…{tail}")
}

fn platform_of(platform: proto::Platform) -> Option<Platform> {
    match platform {
        proto::Platform::Shopify => Some(Platform::Shopify),
        proto::Platform::Woocommerce => Some(Platform::WooCommerce),
        proto::Platform::Bigcommerce => Some(Platform::BigCommerce),
        proto::Platform::Unspecified => None,
    }
}

/// The stored code of a platform.
pub fn platform_code(platform: proto::Platform) -> &'static str {
    platform_of(platform).map(Platform::as_str).unwrap_or("")
}

/// The platform of a stored code.
pub fn platform_from_code(code: &str) -> Option<proto::Platform> {
    Some(match Platform::parse(code)? {
        Platform::Shopify => proto::Platform::Shopify,
        Platform::WooCommerce => proto::Platform::Woocommerce,
        Platform::BigCommerce => proto::Platform::Bigcommerce,
    })
}

/// The platforms and their forms, for `ListPlatforms`.
pub fn platforms_to_proto() -> Vec<proto::PlatformInfo> {
    Platform::ALL
        .into_iter()
        .map(|platform| proto::PlatformInfo {
            platform: platform_from_code(platform.as_str()).map(|p| p as i32).unwrap_or_default(),
            display_name: platform.display_name().to_owned(),
            fields: platform
                .fields()
                .iter()
                .map(|spec| proto::CredentialField {
                    name: spec.name.to_owned(),
                    label: spec.label.to_owned(),
                    help: spec.help.to_owned(),
                    masked: spec.secret,
                    required: spec.required,
                    max_length: i32::try_from(spec.max_length).unwrap_or(i32::MAX),
                    placeholder: String::new(),
                    choice: spec.alternative.unwrap_or_default().to_owned(),
                })
                .collect(),
            api_version: match platform {
                Platform::Shopify => canopy_commerce_platforms::SHOPIFY_API_VERSION.to_owned(),
                Platform::WooCommerce => "wc/v3".to_owned(),
                Platform::BigCommerce => "v2".to_owned(),
            },
        })
        .collect()
}
