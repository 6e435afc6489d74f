//! Azure Cost Management `query` on a subscription: the daily actual (pre-tax) cost
//! grouped by the `canopy_site_id` tag and the resource id, every page followed
//! (`properties.nextLink`, POSTed with the same body). Columns are read by name.
//! Tokens come from the Microsoft identity platform with the client-credentials grant.
//! Throttling is a 429 with `Retry-After` or Cost Management's own
//! `x-ms-ratelimit-microsoft.costmanagement-*-retry-after` headers.

use canopy_kit::http::{HttpClient, HttpResponse};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use crate::fetch::{self, Call, Dialect, Verdict};
use crate::oauth::{TokenCache, TokenEndpoint, form};
use crate::record::merge;
use crate::resource_type::classify;
use crate::site::{KnownSites, resolve_site};
use crate::{AccountConfig, CollectError, Collector, ConfigError, CostRecord, DateRange, Granularity, Secret, Source};

/// The API version used.
pub const API_VERSION: &str = "2023-11-01";
/// The scope of Azure Resource Manager tokens.
pub const SCOPE: &str = "https://management.azure.com/.default";
/// The tag Canopy puts on every resource of a site.
pub const SITE_TAG: &str = "canopy_site_id";

/// Cost Management's own wait headers, checked after `Retry-After`.
const RETRY_HEADERS: [&str; 4] = [
    "x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after",
    "x-ms-ratelimit-microsoft.costmanagement-entity-retry-after",
    "x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after",
    "x-ms-ratelimit-microsoft.costmanagement-client-retry-after",
];

/// Collects from Cost Management.
pub struct AzureCollector {
    http: HttpClient,
    query_url: String,
    token_endpoint: TokenEndpoint,
    client_id: String,
    client_secret: Secret,
    tokens: TokenCache,
    sites: KnownSites,
}

impl std::fmt::Debug for AzureCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureCollector")
            .field("query_url", &self.query_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish_non_exhaustive()
    }
}

struct CostManagement;

impl Dialect for CostManagement {
    fn name(&self) -> &'static str {
        "Azure Cost Management"
    }

    fn verdict(&self, response: &HttpResponse) -> Verdict {
        let wait = fetch::retry_after(response)
            .or_else(|| RETRY_HEADERS.iter().find_map(|name| fetch::seconds_header(response, name)));
        fetch::standard_verdict(response, wait)
    }
}

#[derive(Deserialize)]
struct Answer {
    properties: Properties,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Properties {
    #[serde(default)]
    next_link: Option<String>,
    columns: Vec<Column>,
    rows: Vec<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
struct Column {
    name: String,
}

/// Where each needed column is in a row.
struct Columns {
    cost: usize,
    date: usize,
    resource: usize,
    tag_value: Option<usize>,
    currency: usize,
}

impl Columns {
    fn find(columns: &[Column]) -> Result<Self, CollectError> {
        let at = |name: &str| columns.iter().position(|c| c.name.eq_ignore_ascii_case(name));
        let need = |name: &str| {
            at(name).ok_or_else(|| {
                CollectError::Malformed(format!("Azure Cost Management: the answer has no {name} column"))
            })
        };
        Ok(Self {
            cost: need("PreTaxCost").or_else(|_| need("Cost"))?,
            date: need("UsageDate")?,
            resource: need("ResourceId")?,
            tag_value: at("TagValue"),
            currency: need("Currency")?,
        })
    }
}

impl AzureCollector {
    pub(crate) fn new(config: &AccountConfig, http: HttpClient) -> Result<Self, ConfigError> {
        let AccountConfig::Azure { tenant_id, client_id, client_secret, subscription_id, base_url, login_url } = config
        else {
            return Err(ConfigError::new("kind", "not an azure account"));
        };
        Ok(Self {
            http,
            query_url: format!(
                "{}/subscriptions/{subscription_id}/providers/Microsoft.CostManagement/query?api-version={API_VERSION}",
                base_url.trim_end_matches('/')
            ),
            token_endpoint: TokenEndpoint {
                name: "Microsoft identity platform",
                url: format!("{}/{tenant_id}/oauth2/v2.0/token", login_url.trim_end_matches('/')),
            },
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            tokens: TokenCache::default(),
            sites: KnownSites::default(),
        })
    }

    async fn token(&self) -> Result<Secret, CollectError> {
        self.tokens
            .token(&self.http, &self.token_endpoint, || {
                Ok(form(&[
                    ("client_id", &self.client_id),
                    ("client_secret", self.client_secret.expose()),
                    ("scope", SCOPE),
                    ("grant_type", "client_credentials"),
                ]))
            })
            .await
    }

    async fn collect_days(&self, days: DateRange) -> Result<Vec<CostRecord>, CollectError> {
        let result = self.query(days).await;
        if matches!(result, Err(CollectError::Refused { .. })) {
            // A revoked or rotated secret: fetch a new token next time.
            self.tokens.forget().await;
        }
        result
    }

    async fn query(&self, days: DateRange) -> Result<Vec<CostRecord>, CollectError> {
        let sites = self.sites.get();
        let body = json!({
            "type": "ActualCost",
            "timeframe": "Custom",
            "timePeriod": {
                "from": format!("{}T00:00:00Z", days.start),
                "to": format!("{}T23:59:59Z", days.end),
            },
            "dataset": {
                "granularity": "Daily",
                "aggregation": { "totalCost": { "name": "PreTaxCost", "function": "Sum" } },
                "grouping": [
                    { "type": "TagKey", "name": SITE_TAG },
                    { "type": "Dimension", "name": "ResourceId" },
                ],
            },
        });
        let body = serde_json::to_vec(&body).expect("a JSON value serialises");
        let mut records = Vec::new();
        let mut url = self.query_url.clone();
        loop {
            let token = self.token().await?;
            let response = fetch::send(&self.http, &CostManagement, || {
                Call::post(url.clone(), "application/json", body.clone()).bearer(token.expose())
            })
            .await?;
            let answer: Answer = fetch::json(&CostManagement, "query answer", &response)?;
            let columns = Columns::find(&answer.properties.columns)?;
            for row in &answer.properties.rows {
                records.push(record(&columns, row, &sites)?);
            }
            match answer.properties.next_link.filter(|link| !link.is_empty()) {
                Some(link) => url = link,
                None => break,
            }
        }
        Ok(merge(records))
    }
}

fn record(columns: &Columns, row: &[serde_json::Value], sites: &[uuid::Uuid]) -> Result<CostRecord, CollectError> {
    let malformed = |what: String| CollectError::Malformed(format!("Azure Cost Management: {what}"));
    let cell = |at: usize| row.get(at).ok_or_else(|| malformed(format!("a row has no column {at}")));
    let amount_micros = crate::decimal::value_micros(cell(columns.cost)?).map_err(|e| malformed(e.to_string()))?;
    let date = cell(columns.date)?;
    let day = date
        .as_u64()
        .map(|n| n.to_string())
        .or_else(|| date.as_str().map(str::to_string))
        .and_then(|text| chrono::NaiveDate::parse_from_str(&text, "%Y%m%d").ok())
        .ok_or_else(|| malformed(format!("the UsageDate {date} is not a yyyymmdd date")))?;
    let resource_id =
        cell(columns.resource)?.as_str().ok_or_else(|| malformed("a ResourceId is not text".into()))?.to_string();
    let tag_value = match columns.tag_value {
        Some(at) => cell(at)?.as_str().map(str::to_string),
        None => None,
    };
    let currency = cell(columns.currency)?
        .as_str()
        .ok_or_else(|| malformed("a Currency is not text".into()))?
        .to_ascii_uppercase();
    let service = provider_type(&resource_id);
    let name = resource_id.rsplit('/').next().unwrap_or_default();
    Ok(CostRecord {
        site: resolve_site(tag_value.as_deref(), &[name], sites),
        resource_type: classify(&[&service]),
        service,
        region: String::new(),
        resource_id,
        day,
        granularity: Granularity::Daily,
        source: Source::Accrued,
        amount_micros,
        currency,
    })
}

/// The resource provider and type of a resource id ("Microsoft.Web/sites" of
/// "/subscriptions/…/providers/Microsoft.Web/sites/shop-1a2b3c4d"), which names the
/// service; the id itself when it has none.
fn provider_type(resource_id: &str) -> String {
    let lower = resource_id.to_ascii_lowercase();
    let Some(at) = lower.rfind("/providers/") else {
        return resource_id.to_string();
    };
    let parts: Vec<&str> = resource_id[at + "/providers/".len()..].split('/').collect();
    match parts.as_slice() {
        [namespace, kind, ..] => format!("{namespace}/{kind}"),
        _ => resource_id.to_string(),
    }
}

impl Collector for AzureCollector {
    fn kind(&self) -> &'static str {
        "azure"
    }

    fn collect<'a>(&'a self, days: DateRange) -> BoxFuture<'a, Result<Vec<CostRecord>, CollectError>> {
        Box::pin(self.collect_days(days))
    }

    fn set_sites(&self, sites: &[uuid::Uuid]) {
        self.sites.set(sites);
    }
}
