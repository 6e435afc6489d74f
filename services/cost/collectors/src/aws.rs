//! AWS Cost Explorer `GetCostAndUsage`: daily unblended cost grouped by the
//! `canopy_site_id` cost allocation tag and the SERVICE dimension, every page followed
//! (`NextPageToken`). JSON 1.1 over POST, signed with SigV4 for service `ce`.
//! Throttling is a 400 whose `__type` is `ThrottlingException` or
//! `LimitExceededException` (429 is honoured too).

use canopy_kit::http::{HttpClient, HttpResponse};
use futures_util::future::BoxFuture;
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::fetch::{self, Call, Dialect, Verdict};
use crate::record::merge;
use crate::resource_type::classify;
use crate::site::{KnownSites, resolve_site};
use crate::{
    AccountConfig, CollectError, Collector, ConfigError, CostRecord, DateRange, Granularity, Secret, Source, sigv4,
};

/// The tag Canopy puts on every resource of a site.
pub const SITE_TAG: &str = "canopy_site_id";
/// The `X-Amz-Target` of `GetCostAndUsage`.
pub const TARGET: &str = "AWSInsightsIndexService.GetCostAndUsage";
/// The JSON 1.1 content type.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// The metric read.
pub const METRIC: &str = "UnblendedCost";

/// Collects from Cost Explorer.
pub struct AwsCollector {
    http: HttpClient,
    endpoint: String,
    host: String,
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
    region: String,
    sites: KnownSites,
}

impl std::fmt::Debug for AwsCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCollector")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

struct CostExplorer;

impl Dialect for CostExplorer {
    fn name(&self) -> &'static str {
        "AWS Cost Explorer"
    }

    fn verdict(&self, response: &HttpResponse) -> Verdict {
        let kind = error_type(response);
        match (response.status, kind.as_deref()) {
            (StatusCode::BAD_REQUEST, Some("ThrottlingException" | "LimitExceededException")) => {
                Verdict::Throttled(fetch::retry_after(response))
            }
            // Unknown or invalid keys answer 400 (UnrecognizedClientException) or 403.
            (
                StatusCode::BAD_REQUEST,
                Some(
                    "UnrecognizedClientException"
                    | "InvalidSignatureException"
                    | "AccessDeniedException"
                    | "ExpiredTokenException"
                    | "InvalidClientTokenId",
                ),
            ) => Verdict::Refused,
            _ => fetch::standard_verdict(response, fetch::retry_after(response)),
        }
    }
}

/// The error's `__type`, without the `namespace#` prefix some answers carry.
fn error_type(response: &HttpResponse) -> Option<String> {
    let body: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    let kind = body.get("__type")?.as_str()?;
    Some(kind.rsplit('#').next().unwrap_or(kind).to_string())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    results_by_time: Vec<ResultByTime>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResultByTime {
    time_period: TimePeriod,
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TimePeriod {
    start: chrono::NaiveDate,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Group {
    keys: Vec<String>,
    metrics: std::collections::HashMap<String, Metric>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Metric {
    amount: String,
    unit: String,
}

impl AwsCollector {
    pub(crate) fn new(config: &AccountConfig, http: HttpClient) -> Result<Self, ConfigError> {
        let AccountConfig::Aws { access_key_id, secret_access_key, session_token, base_url, region } = config else {
            return Err(ConfigError::new("kind", "not an aws account"));
        };
        let uri: http::Uri = base_url.parse().map_err(|_| ConfigError::new("base_url", "not a URL"))?;
        let host = uri.authority().map(|a| a.to_string()).ok_or_else(|| ConfigError::new("base_url", "no host"))?;
        Ok(Self {
            http,
            endpoint: format!("{}/", base_url.trim_end_matches('/')),
            host,
            access_key_id: access_key_id.clone(),
            secret_access_key: secret_access_key.clone(),
            session_token: session_token.clone(),
            region: region.clone(),
            sites: KnownSites::default(),
        })
    }

    /// The request for one page, signed now.
    fn call(&self, body: &[u8]) -> Result<Call, CollectError> {
        let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let mut headers = vec![
            ("content-type", CONTENT_TYPE),
            ("host", self.host.as_str()),
            ("x-amz-date", amz_date.as_str()),
            ("x-amz-target", TARGET),
        ];
        if let Some(token) = &self.session_token {
            headers.push(("x-amz-security-token", token.expose()));
        }
        let signer = sigv4::Signer {
            access_key_id: &self.access_key_id,
            secret_access_key: self.secret_access_key.expose(),
            region: &self.region,
            service: "ce",
        };
        let request = sigv4::Request { method: "POST", path: "/", query: "", headers: &headers, body };
        let authorization = signer.authorization(&request, &amz_date);
        let mut call = Call::post(self.endpoint.clone(), CONTENT_TYPE, body.to_vec());
        for (name, value) in &headers {
            if *name != "content-type" {
                call = call.header(name, value)?;
            }
        }
        call.header("authorization", &authorization)
    }

    async fn collect_days(&self, days: DateRange) -> Result<Vec<CostRecord>, CollectError> {
        let sites = self.sites.get();
        let mut records = Vec::new();
        let mut page_token: Option<String> = None;
        loop {
            let mut body = json!({
                // Cost Explorer's end date is exclusive.
                "TimePeriod": { "Start": days.start.to_string(), "End": (days.end + chrono::Days::new(1)).to_string() },
                "Granularity": "DAILY",
                "Metrics": [METRIC],
                "GroupBy": [
                    { "Type": "TAG", "Key": SITE_TAG },
                    { "Type": "DIMENSION", "Key": "SERVICE" },
                ],
            });
            if let Some(token) = &page_token {
                body["NextPageToken"] = json!(token);
            }
            let body = serde_json::to_vec(&body).expect("a JSON value serialises");
            let response = fetch::send(&self.http, &CostExplorer, || self.call(&body)).await?;
            let answer: Answer = fetch::json(&CostExplorer, "GetCostAndUsage answer", &response)?;
            for result in answer.results_by_time {
                for group in result.groups {
                    records.push(self.record(result.time_period.start, group, &sites)?);
                }
            }
            match answer.next_page_token.filter(|token| !token.is_empty()) {
                Some(token) => page_token = Some(token),
                None => break,
            }
        }
        Ok(merge(records))
    }

    fn record(&self, day: chrono::NaiveDate, group: Group, sites: &[uuid::Uuid]) -> Result<CostRecord, CollectError> {
        let malformed = |what: &str| CollectError::Malformed(format!("AWS Cost Explorer: {what}"));
        let [tag, service] = group.keys.as_slice() else {
            return Err(malformed("a group does not have two keys (tag, service)"));
        };
        let tag_value = tag
            .strip_prefix(SITE_TAG)
            .and_then(|rest| rest.strip_prefix('$'))
            .ok_or_else(|| malformed(&format!("the tag key {tag:?} is not {SITE_TAG}$<value>")))?;
        let metric = group.metrics.get(METRIC).ok_or_else(|| malformed("a group has no UnblendedCost"))?;
        let amount_micros = crate::decimal::parse_micros(&metric.amount).map_err(|e| malformed(&e.to_string()))?;
        let resource_id = if tag_value.is_empty() {
            format!("{service} (untagged)")
        } else {
            format!("{service} ({SITE_TAG}={tag_value})")
        };
        Ok(CostRecord {
            resource_id,
            site: resolve_site(Some(tag_value), &[], sites),
            service: service.clone(),
            resource_type: classify(&[service]),
            region: String::new(),
            day,
            granularity: Granularity::Daily,
            source: Source::Accrued,
            amount_micros,
            currency: metric.unit.to_ascii_uppercase(),
        })
    }
}

impl Collector for AwsCollector {
    fn kind(&self) -> &'static str {
        "aws"
    }

    fn collect<'a>(&'a self, days: DateRange) -> BoxFuture<'a, Result<Vec<CostRecord>, CollectError>> {
        Box::pin(self.collect_days(days))
    }

    fn set_sites(&self, sites: &[uuid::Uuid]) {
        self.sites.set(sites);
    }
}
