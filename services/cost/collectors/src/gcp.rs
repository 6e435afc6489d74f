//! GCP costs from the Cloud Billing detailed (resource-level) export in BigQuery
//! (`gcp_billing_export_resource_v1_<BILLING_ACCOUNT>`), read with `jobs.query` and a
//! parameterised standard-SQL query: cost plus credits per day, resource, service,
//! region and `canopy_site_id` label. An incomplete job and further pages are read with
//! `jobs.getQueryResults`. Tokens come from Google's token endpoint with a
//! service-account JWT (RS256) and the JWT-bearer grant. Throttling is a 429, or a 403
//! whose reason is `rateLimitExceeded` (BigQuery's own way).

use std::time::Duration;

use canopy_kit::http::{HttpClient, HttpResponse};
use futures_util::future::BoxFuture;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::fetch::{self, Call, Dialect, Verdict};
use crate::oauth::{TokenCache, TokenEndpoint, encode, form};
use crate::record::merge;
use crate::resource_type::classify;
use crate::site::{KnownSites, resolve_site};
use crate::{AccountConfig, CollectError, Collector, ConfigError, CostRecord, DateRange, Granularity, Secret, Source};

/// The scope asked for: reading BigQuery, nothing else.
pub const SCOPE: &str = "https://www.googleapis.com/auth/bigquery.readonly";
/// The JWT-bearer grant type (RFC 7523).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The label Canopy puts on every resource of a site.
pub const SITE_LABEL: &str = "canopy_site_id";
/// The export table's name starts with this.
pub const TABLE_PREFIX: &str = "gcp_billing_export_resource_v1_";

/// Rows asked for per page.
const PAGE_ROWS: u32 = 10_000;
/// How long BigQuery may hold a request waiting for the job.
const WAIT_MS: u32 = 10_000;
/// Polls of an incomplete job before giving up.
const MAX_POLLS: u32 = 60;

/// The query. The table name cannot be a parameter; it is checked by [`check_table`]
/// and quoted. Dates and the label key are named parameters. Costs are summed as
/// NUMERIC so the sums are exact decimals.
const QUERY: &str = "\
with lines as (
  select
    date(usage_start_time) as usage_day,
    ifnull(resource.global_name, '') as resource_id,
    ifnull(resource.name, '') as resource_name,
    service.description as service,
    ifnull(location.region, '') as region,
    ifnull((select l.value from unnest(labels) as l where l.key = @site_label limit 1), '') as site_label,
    currency,
    cast(cost as numeric)
      + ifnull((select sum(cast(c.amount as numeric)) from unnest(credits) as c), 0) as amount
  from `{table}`
  where usage_start_time >= timestamp(@start_day)
    and usage_start_time < timestamp(date_add(@end_day, interval 1 day))
    and _partitiontime >= timestamp(date_sub(@start_day, interval 1 day))
)
select usage_day, resource_id, resource_name, service, region, site_label, currency, sum(amount) as amount
from lines
group by usage_day, resource_id, resource_name, service, region, site_label, currency
order by usage_day, resource_id";

/// Whether `table` is `project.dataset.gcp_billing_export_resource_v1_<id>`; the reason if not.
pub(crate) fn check_table(table: &str) -> Result<(), String> {
    let parts: Vec<&str> = table.split('.').collect();
    let [project, dataset, name] = parts.as_slice() else {
        return Err("the export table as project.dataset.gcp_billing_export_resource_v1_<BILLING_ACCOUNT>".into());
    };
    let project_ok =
        !project.is_empty() && project.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b':');
    let dataset_ok = !dataset.is_empty() && dataset.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let name_ok = name
        .strip_prefix(TABLE_PREFIX)
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    if !(project_ok && dataset_ok && name_ok) {
        return Err("the export table as project.dataset.gcp_billing_export_resource_v1_<BILLING_ACCOUNT> (letters, digits, '-' and '_')".into());
    }
    Ok(())
}

/// The service-account key as a signing key; the reason if it is not an RSA PEM key.
pub(crate) fn signing_key(private_key: &Secret) -> Result<EncodingKey, String> {
    use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPrivateKey as _};
    use rsa::pkcs8::DecodePrivateKey as _;
    // Keys pasted from JSON into an environment variable keep their "\n" escapes.
    let pem = private_key.expose().replace("\\n", "\n");
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(&pem))
        .map_err(|_| "the service account key's private_key, a PEM RSA private key".to_string())?;
    let der = key.to_pkcs1_der().map_err(|_| "the private key cannot be encoded".to_string())?;
    Ok(EncodingKey::from_rsa_der(der.as_bytes()))
}

/// The claims of the JWT exchanged for a token.
#[derive(Debug, Serialize, Deserialize)]
pub struct AssertionClaims {
    pub iss: String,
    pub scope: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Collects from the BigQuery billing export.
pub struct GcpCollector {
    http: HttpClient,
    queries_url: String,
    project_id: String,
    table: String,
    location: Option<String>,
    client_email: String,
    key: EncodingKey,
    token_endpoint: TokenEndpoint,
    tokens: TokenCache,
    sites: KnownSites,
}

impl std::fmt::Debug for GcpCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcpCollector")
            .field("queries_url", &self.queries_url)
            .field("table", &self.table)
            .field("client_email", &self.client_email)
            .field("private_key", &"***")
            .finish_non_exhaustive()
    }
}

struct BigQuery;

impl Dialect for BigQuery {
    fn name(&self) -> &'static str {
        "BigQuery"
    }

    fn verdict(&self, response: &HttpResponse) -> Verdict {
        if response.status == StatusCode::FORBIDDEN {
            let reasons = serde_json::from_slice::<serde_json::Value>(&response.body)
                .ok()
                .and_then(|body| body.pointer("/error/errors").and_then(|e| e.as_array()).cloned())
                .unwrap_or_default();
            let throttled = reasons
                .iter()
                .filter_map(|e| e.get("reason").and_then(|r| r.as_str()))
                .any(|reason| matches!(reason, "rateLimitExceeded" | "quotaExceeded"));
            if throttled {
                return Verdict::Throttled(fetch::retry_after(response));
            }
        }
        fetch::standard_verdict(response, fetch::retry_after(response))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryAnswer {
    job_reference: JobReference,
    #[serde(default)]
    job_complete: bool,
    #[serde(default)]
    schema: Option<Schema>,
    #[serde(default)]
    rows: Vec<Row>,
    #[serde(default)]
    page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobReference {
    job_id: String,
    #[serde(default)]
    location: Option<String>,
}

#[derive(Deserialize)]
struct Schema {
    fields: Vec<Field>,
}

#[derive(Deserialize)]
struct Field {
    name: String,
}

#[derive(Deserialize)]
struct Row {
    f: Vec<Cell>,
}

#[derive(Deserialize)]
struct Cell {
    v: serde_json::Value,
}

/// Where each column is.
struct Columns {
    day: usize,
    resource_id: usize,
    resource_name: Option<usize>,
    service: usize,
    region: usize,
    site_label: usize,
    currency: usize,
    amount: usize,
}

impl Columns {
    fn find(schema: &Schema) -> Result<Self, CollectError> {
        let at = |name: &str| schema.fields.iter().position(|f| f.name == name);
        let need = |name: &str| {
            at(name).ok_or_else(|| CollectError::Malformed(format!("BigQuery: the result has no {name} column")))
        };
        Ok(Self {
            day: need("usage_day")?,
            resource_id: need("resource_id")?,
            resource_name: at("resource_name"),
            service: need("service")?,
            region: need("region")?,
            site_label: need("site_label")?,
            currency: need("currency")?,
            amount: need("amount")?,
        })
    }
}

impl GcpCollector {
    pub(crate) fn new(config: &AccountConfig, http: HttpClient) -> Result<Self, ConfigError> {
        let AccountConfig::Gcp { project_id, billing_table, client_email, private_key, token_uri, base_url, location } =
            config
        else {
            return Err(ConfigError::new("kind", "not a gcp account"));
        };
        Ok(Self {
            http,
            queries_url: format!("{}/bigquery/v2/projects/{project_id}/queries", base_url.trim_end_matches('/')),
            project_id: project_id.clone(),
            table: billing_table.clone(),
            location: location.clone(),
            client_email: client_email.clone(),
            key: signing_key(private_key).map_err(|reason| ConfigError::new("private_key", reason))?,
            token_endpoint: TokenEndpoint { name: "Google OAuth 2.0", url: token_uri.clone() },
            tokens: TokenCache::default(),
            sites: KnownSites::default(),
        })
    }

    /// The signed assertion exchanged for a token.
    fn assertion(&self) -> Result<String, CollectError> {
        let now = chrono::Utc::now().timestamp();
        let claims = AssertionClaims {
            iss: self.client_email.clone(),
            scope: SCOPE.into(),
            aud: self.token_endpoint.url.clone(),
            iat: now,
            exp: now + 3600,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map_err(|e| CollectError::Malformed(format!("the service account key cannot sign: {e}")))
    }

    async fn token(&self) -> Result<Secret, CollectError> {
        self.tokens
            .token(&self.http, &self.token_endpoint, || {
                Ok(form(&[("grant_type", JWT_BEARER), ("assertion", &self.assertion()?)]))
            })
            .await
    }

    async fn collect_days(&self, days: DateRange) -> Result<Vec<CostRecord>, CollectError> {
        let result = self.query(days).await;
        if matches!(result, Err(CollectError::Refused { .. })) {
            self.tokens.forget().await;
        }
        result
    }

    async fn query(&self, days: DateRange) -> Result<Vec<CostRecord>, CollectError> {
        let sites = self.sites.get();
        let date = |name: &str, day: chrono::NaiveDate| json!({ "name": name, "parameterType": { "type": "DATE" }, "parameterValue": { "value": day.to_string() } });
        let mut request = json!({
            "query": QUERY.replace("{table}", &self.table),
            "useLegacySql": false,
            "parameterMode": "NAMED",
            "queryParameters": [
                date("start_day", days.start),
                date("end_day", days.end),
                { "name": "site_label", "parameterType": { "type": "STRING" }, "parameterValue": { "value": SITE_LABEL } },
            ],
            "maxResults": PAGE_ROWS,
            "timeoutMs": WAIT_MS,
        });
        if let Some(location) = &self.location {
            request["location"] = json!(location);
        }
        let body = serde_json::to_vec(&request).expect("a JSON value serialises");
        let token = self.token().await?;
        let response = fetch::send(&self.http, &BigQuery, || {
            Call::post(self.queries_url.clone(), "application/json", body.clone()).bearer(token.expose())
        })
        .await?;
        let mut answer: QueryAnswer = fetch::json(&BigQuery, "jobs.query answer", &response)?;
        let job_id = answer.job_reference.job_id.clone();
        let location = answer.job_reference.location.clone().or_else(|| self.location.clone());
        let mut polls = 0;
        while !answer.job_complete {
            polls += 1;
            if polls > MAX_POLLS {
                return Err(CollectError::Unreachable(format!("BigQuery: the query job {job_id} did not complete")));
            }
            answer = self.results(&job_id, location.as_deref(), None).await?;
        }
        let schema = answer
            .schema
            .take()
            .ok_or_else(|| CollectError::Malformed("BigQuery: a complete job has no schema".into()))?;
        let columns = Columns::find(&schema)?;
        let mut records = Vec::new();
        loop {
            for row in &answer.rows {
                records.push(record(&columns, row, &sites)?);
            }
            match answer.page_token.take().filter(|token| !token.is_empty()) {
                Some(page) => answer = self.results(&job_id, location.as_deref(), Some(&page)).await?,
                None => break,
            }
        }
        Ok(merge(records))
    }

    /// `jobs.getQueryResults`: the job's state, or the page at `page_token`.
    async fn results(
        &self,
        job_id: &str,
        location: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<QueryAnswer, CollectError> {
        let mut url = format!("{}/{}?maxResults={PAGE_ROWS}&timeoutMs={WAIT_MS}", self.queries_url, encode(job_id));
        if let Some(location) = location {
            url.push_str(&format!("&location={}", encode(location)));
        }
        if let Some(page) = page_token {
            url.push_str(&format!("&pageToken={}", encode(page)));
        }
        let token = self.token().await?;
        let response = fetch::send(&self.http, &BigQuery, || Call::get(url.clone()).bearer(token.expose())).await?;
        let answer: QueryAnswer = fetch::json(&BigQuery, "jobs.getQueryResults answer", &response)?;
        if !answer.job_complete {
            // BigQuery already held the request for up to `timeoutMs`; a short pause more.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(answer)
    }

    /// The project query jobs run in.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }
}

fn record(columns: &Columns, row: &Row, sites: &[uuid::Uuid]) -> Result<CostRecord, CollectError> {
    let malformed = |what: String| CollectError::Malformed(format!("BigQuery: {what}"));
    let text = |at: usize| -> Result<String, CollectError> {
        match row.f.get(at).map(|cell| &cell.v) {
            Some(serde_json::Value::String(text)) => Ok(text.clone()),
            Some(serde_json::Value::Null) => Ok(String::new()),
            Some(other) => Err(malformed(format!("the value {other} is not text"))),
            None => Err(malformed(format!("a row has no column {at}"))),
        }
    };
    let day_text = text(columns.day)?;
    let day = chrono::NaiveDate::parse_from_str(&day_text, "%Y-%m-%d")
        .map_err(|_| malformed(format!("the usage_day {day_text:?} is not a date")))?;
    let amount_micros = crate::decimal::parse_micros(&text(columns.amount)?).map_err(|e| malformed(e.to_string()))?;
    let service = text(columns.service)?;
    let mut resource_id = text(columns.resource_id)?;
    let resource_name = match columns.resource_name {
        Some(at) => text(at)?,
        None => String::new(),
    };
    let short_name = resource_id.rsplit('/').next().unwrap_or_default().to_string();
    if resource_id.is_empty() {
        resource_id = format!("{service} (no resource)");
    }
    let site_label = text(columns.site_label)?;
    Ok(CostRecord {
        site: resolve_site(Some(&site_label), &[&resource_name, &short_name], sites),
        resource_type: classify(&[&service]),
        service,
        region: text(columns.region)?,
        resource_id,
        day,
        granularity: Granularity::Daily,
        source: Source::Accrued,
        amount_micros,
        currency: text(columns.currency)?.to_ascii_uppercase(),
    })
}

impl Collector for GcpCollector {
    fn kind(&self) -> &'static str {
        "gcp"
    }

    fn collect<'a>(&'a self, days: DateRange) -> BoxFuture<'a, Result<Vec<CostRecord>, CollectError>> {
        Box::pin(self.collect_days(days))
    }

    fn set_sites(&self, sites: &[uuid::Uuid]) {
        self.sites.set(sites);
    }
}
