//! The configuration of one account costs are collected from, as the cost service reads
//! it (`[services.cost.accounts.<name>]`, `kind = "aws"` …). Every HTTP account has a
//! `base_url` defaulting to the real API (tests point it at a stand-in); credentials are
//! [`Secret`]s and never print.

use serde::Deserialize;

use crate::{ConfigError, Secret};

/// One account costs are collected from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AccountConfig {
    /// AWS Cost Explorer `GetCostAndUsage`, signed with SigV4. The key needs
    /// `ce:GetCostAndUsage`; `canopy_site_id` must be activated as a cost allocation tag.
    Aws {
        /// The access key id (`AKIA…`, or `ASIA…` with a session token).
        access_key_id: String,
        /// The secret access key.
        secret_access_key: Secret,
        /// The session token of temporary credentials.
        #[serde(default)]
        session_token: Option<Secret>,
        /// Cost Explorer's endpoint.
        #[serde(default = "aws_base_url")]
        base_url: String,
        /// The region requests are signed for (Cost Explorer lives in us-east-1).
        #[serde(default = "aws_region")]
        region: String,
    },
    /// Azure Cost Management `query` on a subscription, with a service principal's client
    /// credentials (the principal needs Cost Management Reader on the subscription).
    Azure {
        /// The Entra ID tenant (directory) id.
        tenant_id: String,
        /// The service principal's application (client) id.
        client_id: String,
        /// The service principal's client secret.
        client_secret: Secret,
        /// The subscription whose costs are read.
        subscription_id: String,
        /// Azure Resource Manager.
        #[serde(default = "azure_base_url")]
        base_url: String,
        /// The Microsoft identity platform; tokens come from `{login_url}/{tenant_id}/oauth2/v2.0/token`.
        #[serde(default = "azure_login_url")]
        login_url: String,
    },
    /// The Cloud Billing detailed (resource-level) export in BigQuery, read with a query
    /// job run as a service account (BigQuery Job User on `project_id`, Data Viewer on
    /// the export's dataset).
    Gcp {
        /// The project the query jobs run (and are billed) in.
        project_id: String,
        /// The export table: `project.dataset.gcp_billing_export_resource_v1_<BILLING_ACCOUNT>`.
        billing_table: String,
        /// The service account's `client_email`.
        client_email: String,
        /// The service account key's `private_key` (PKCS#8 PEM).
        private_key: Secret,
        /// The key's `token_uri`.
        #[serde(default = "gcp_token_uri")]
        token_uri: String,
        /// The BigQuery API.
        #[serde(default = "gcp_base_url")]
        base_url: String,
        /// The dataset's location ("US", "EU", "europe-west1"…), when not the default.
        #[serde(default)]
        location: Option<String>,
    },
    /// DigitalOcean invoices (invoiced, monthly) and billing insights (accrued, daily),
    /// with a personal access token that can read billing.
    Digitalocean {
        /// The API token (`billing:read`).
        token: Secret,
        /// The team (`do:team:<uuid>`) or organisation (`do:teamgroup:<uuid>`) billing insights are read for.
        account_urn: String,
        /// The API.
        #[serde(default = "digitalocean_base_url")]
        base_url: String,
    },
    /// Akamai (Linode) invoices, with a personal access token with `account:read_only`.
    Akamai {
        /// The API token.
        token: Secret,
        /// The API.
        #[serde(default = "akamai_base_url")]
        base_url: String,
    },
    /// Simulated costs of sandbox sites ([`crate::SandboxCollector`]).
    Sandbox {
        /// The currency the simulated costs are in.
        #[serde(default = "sandbox_currency")]
        currency: String,
    },
}

fn aws_base_url() -> String {
    "https://ce.us-east-1.amazonaws.com".into()
}
fn aws_region() -> String {
    "us-east-1".into()
}
fn azure_base_url() -> String {
    "https://management.azure.com".into()
}
fn azure_login_url() -> String {
    "https://login.microsoftonline.com".into()
}
fn gcp_token_uri() -> String {
    "https://oauth2.googleapis.com/token".into()
}
fn gcp_base_url() -> String {
    "https://bigquery.googleapis.com".into()
}
fn digitalocean_base_url() -> String {
    "https://api.digitalocean.com".into()
}
fn akamai_base_url() -> String {
    "https://api.linode.com".into()
}
fn sandbox_currency() -> String {
    "USD".into()
}

impl AccountConfig {
    /// "aws", "azure", "gcp", "digitalocean", "akamai" or "sandbox".
    pub fn kind(&self) -> &'static str {
        match self {
            AccountConfig::Aws { .. } => "aws",
            AccountConfig::Azure { .. } => "azure",
            AccountConfig::Gcp { .. } => "gcp",
            AccountConfig::Digitalocean { .. } => "digitalocean",
            AccountConfig::Akamai { .. } => "akamai",
            AccountConfig::Sandbox { .. } => "sandbox",
        }
    }

    /// What identifies the account at the provider, for operators (no secret): the
    /// access key id, the subscription, the export table, the account URN; empty for
    /// Linode (the token is the account) and the sandbox.
    pub fn account(&self) -> String {
        match self {
            AccountConfig::Aws { access_key_id, .. } => access_key_id.clone(),
            AccountConfig::Azure { subscription_id, .. } => subscription_id.clone(),
            AccountConfig::Gcp { billing_table, .. } => billing_table.clone(),
            AccountConfig::Digitalocean { account_urn, .. } => account_urn.clone(),
            AccountConfig::Akamai { .. } | AccountConfig::Sandbox { .. } => String::new(),
        }
    }

    /// The API's base URL; empty for the sandbox.
    pub fn base_url(&self) -> &str {
        match self {
            AccountConfig::Aws { base_url, .. }
            | AccountConfig::Azure { base_url, .. }
            | AccountConfig::Gcp { base_url, .. }
            | AccountConfig::Digitalocean { base_url, .. }
            | AccountConfig::Akamai { base_url, .. } => base_url,
            AccountConfig::Sandbox { .. } => "",
        }
    }

    /// Checks every field; the error names the first one at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self {
            AccountConfig::Aws { access_key_id, secret_access_key, session_token, base_url, region } => {
                if access_key_id.is_empty() || !access_key_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(ConfigError::new("access_key_id", "an access key id is letters and digits"));
                }
                required_secret("secret_access_key", secret_access_key)?;
                if let Some(token) = session_token {
                    required_secret("session_token", token)?;
                }
                url("base_url", base_url)?;
                if region.is_empty()
                    || !region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                {
                    return Err(ConfigError::new("region", "a region is like us-east-1"));
                }
            }
            AccountConfig::Azure { tenant_id, client_id, client_secret, subscription_id, base_url, login_url } => {
                path_segment("tenant_id", tenant_id)?;
                required("client_id", client_id)?;
                required_secret("client_secret", client_secret)?;
                path_segment("subscription_id", subscription_id)?;
                url("base_url", base_url)?;
                url("login_url", login_url)?;
            }
            AccountConfig::Gcp {
                project_id,
                billing_table,
                client_email,
                private_key,
                token_uri,
                base_url,
                location,
            } => {
                path_segment("project_id", project_id)?;
                crate::gcp::check_table(billing_table).map_err(|reason| ConfigError::new("billing_table", reason))?;
                if !client_email.contains('@') {
                    return Err(ConfigError::new(
                        "client_email",
                        "the service account's email, like name@project.iam.gserviceaccount.com",
                    ));
                }
                crate::gcp::signing_key(private_key).map_err(|reason| ConfigError::new("private_key", reason))?;
                url("token_uri", token_uri)?;
                url("base_url", base_url)?;
                if let Some(location) = location {
                    path_segment("location", location)?;
                }
            }
            AccountConfig::Digitalocean { token, account_urn, base_url } => {
                required_secret("token", token)?;
                let team = account_urn.strip_prefix("do:team:").or_else(|| account_urn.strip_prefix("do:teamgroup:"));
                if team.and_then(|id| uuid::Uuid::parse_str(id).ok()).is_none() {
                    return Err(ConfigError::new(
                        "account_urn",
                        "a team (do:team:<uuid>) or organisation (do:teamgroup:<uuid>) URN",
                    ));
                }
                url("base_url", base_url)?;
            }
            AccountConfig::Akamai { token, base_url } => {
                required_secret("token", token)?;
                url("base_url", base_url)?;
            }
            AccountConfig::Sandbox { currency } => {
                if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(ConfigError::new("currency", "an ISO 4217 code in capitals, like USD"));
                }
            }
        }
        Ok(())
    }
}

fn required(field: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        return Err(ConfigError::new(field, "is required"));
    }
    Ok(())
}

fn required_secret(field: &'static str, value: &Secret) -> Result<(), ConfigError> {
    if value.is_empty() {
        return Err(ConfigError::new(field, "is required"));
    }
    Ok(())
}

/// A value placed in a URL path: no characters that would change the path.
fn path_segment(field: &'static str, value: &str) -> Result<(), ConfigError> {
    required(field, value)?;
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) {
        return Err(ConfigError::new(field, "letters, digits, '-', '_', '.' and ':' only"));
    }
    Ok(())
}

fn url(field: &'static str, value: &str) -> Result<(), ConfigError> {
    let parsed: http::Uri = value.parse().map_err(|_| ConfigError::new(field, format!("{value:?} is not a URL")))?;
    if !matches!(parsed.scheme_str(), Some("https" | "http")) || parsed.host().is_none() {
        return Err(ConfigError::new(field, format!("{value:?} is not an http(s) URL")));
    }
    if parsed.query().is_some() {
        return Err(ConfigError::new(field, "a base URL has no query"));
    }
    Ok(())
}
