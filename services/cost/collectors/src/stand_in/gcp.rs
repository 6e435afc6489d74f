//! GCP: Google's token endpoint (`POST /token`, JWT-bearer grant; the assertion's RS256
//! signature verified with the service-account key's public half, and its issuer,
//! audience, scope and expiry checked) and BigQuery `jobs.query` /
//! `jobs.getQueryResults` on the project. The stand-in cannot run SQL: it checks the
//! query names the export table, takes its dates only from named DATE parameters (the
//! dates must not appear in the text), and answers what the query computes over the
//! costs it holds — cost plus credits per day, resource, service, region, label and
//! currency — [`super::PAGE_SIZE`] rows a page. It can leave a job incomplete for the
//! first N reads, and throttles with BigQuery's 403 `rateLimitExceeded`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::response::Response;
use chrono::NaiveDate;
use http::StatusCode;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use super::{Api, Common, Received, Server, form_pairs, garbage, json, lock, page_bounds, random_token, with_headers};
use crate::decimal::{format_micros, parse_micros};
use crate::gcp::{AssertionClaims, JWT_BEARER, SCOPE, SITE_LABEL};
use crate::{AccountConfig, Secret};

/// One billing export line (already reduced to what the query reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcpCost {
    pub day: NaiveDate,
    /// `resource.global_name` ("" when the line has none).
    pub global_name: String,
    /// `resource.name`.
    pub name: String,
    /// `service.description`.
    pub service: String,
    /// `location.region`.
    pub region: String,
    /// The `canopy_site_id` label's value ("" when absent).
    pub label: String,
    pub currency: String,
    /// `cost`, decimal text.
    pub cost: String,
    /// The sum of `credits.amount` (negative), decimal text.
    pub credits: String,
}

impl GcpCost {
    pub fn new(day: NaiveDate, global_name: &str, service: &str, label: &str, cost: &str, credits: &str) -> Self {
        Self {
            day,
            global_name: global_name.into(),
            name: global_name.rsplit('/').next().unwrap_or_default().into(),
            service: service.into(),
            region: "europe-west1".into(),
            label: label.into(),
            currency: "EUR".into(),
            cost: cost.into(),
            credits: credits.into(),
        }
    }
}

/// A query job's result rows.
struct Job {
    rows: Vec<Vec<Value>>,
    reads_until_complete: usize,
}

struct State {
    common: Common,
    project_id: String,
    table: String,
    client_email: String,
    public_key: DecodingKey,
    tokens: Mutex<Vec<String>>,
    costs: Mutex<Vec<GcpCost>>,
    jobs: Mutex<HashMap<String, Job>>,
    incomplete_reads: AtomicUsize,
}

/// A running Google token endpoint and BigQuery stand-in.
pub struct GcpStandIn {
    server: Server<State>,
}

/// The column order of answers (not the query's, so readers must go by name).
const FIELDS: [(&str, &str); 8] = [
    ("amount", "NUMERIC"),
    ("usage_day", "DATE"),
    ("service", "STRING"),
    ("resource_id", "STRING"),
    ("resource_name", "STRING"),
    ("region", "STRING"),
    ("site_label", "STRING"),
    ("currency", "STRING"),
];

impl GcpStandIn {
    /// A stand-in for `project_id` and `table`, trusting assertions from `client_email`
    /// signed by the private half of `public_key_pem` (SPKI or PKCS#1 PEM).
    pub async fn start(project_id: &str, table: &str, client_email: &str, public_key_pem: &str) -> Self {
        use rsa::pkcs1::{DecodeRsaPublicKey as _, EncodeRsaPublicKey as _};
        use rsa::pkcs8::DecodePublicKey as _;
        let key = rsa::RsaPublicKey::from_public_key_pem(public_key_pem)
            .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(public_key_pem))
            .expect("an RSA public key in PEM");
        let der = key.to_pkcs1_der().expect("an encodable key");
        let state = State {
            common: Common::default(),
            project_id: project_id.into(),
            table: table.into(),
            client_email: client_email.into(),
            public_key: DecodingKey::from_rsa_der(der.as_bytes()),
            tokens: Mutex::new(Vec::new()),
            costs: Mutex::new(Vec::new()),
            jobs: Mutex::new(HashMap::new()),
            incomplete_reads: AtomicUsize::new(0),
        };
        Self { server: Server::start(state).await }
    }

    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// The account's configuration pointing here (BigQuery and the token URI), signing
    /// with `private_key_pem`.
    pub fn config(&self, private_key_pem: &str) -> AccountConfig {
        let state = &self.server.state;
        AccountConfig::Gcp {
            project_id: state.project_id.clone(),
            billing_table: state.table.clone(),
            client_email: state.client_email.clone(),
            private_key: Secret::new(private_key_pem),
            token_uri: format!("{}/token", self.server.url),
            base_url: self.server.url.clone(),
            location: Some("EU".into()),
        }
    }

    pub fn set_costs(&self, costs: Vec<GcpCost>) {
        *lock(&self.server.state.costs) = costs;
    }

    /// Changes a day's cost of a resource (later query jobs see it).
    pub fn restate(&self, day: NaiveDate, global_name: &str, cost: &str) {
        for line in lock(&self.server.state.costs).iter_mut() {
            if line.day == day && line.global_name == global_name {
                line.cost = cost.into();
            }
        }
    }

    /// Leaves new jobs incomplete for their first `reads` reads (`jobComplete: false`).
    pub fn incomplete_for(&self, reads: usize) {
        self.server.state.incomplete_reads.store(reads, Ordering::SeqCst);
    }

    pub fn throttle(&self, requests: usize, retry_after: Option<u64>) {
        self.server.throttle(requests, retry_after);
    }

    pub fn malformed(&self, requests: usize) {
        self.server.malformed(requests);
    }

    pub fn received(&self) -> Vec<Received> {
        self.server.received()
    }

    pub fn tokens_issued(&self) -> usize {
        self.received().iter().filter(|r| r.path == "/token").count()
    }
}

fn google_error(status: StatusCode, reason: &str, message: &str) -> Response {
    json(
        status,
        &json!({ "error": { "code": status.as_u16(), "message": message, "errors": [{ "reason": reason, "message": message }] } }),
    )
}

impl State {
    fn token(&self, base_url: &str, request: &Received) -> Response {
        let refuse = |error: &str, description: &str| {
            json(StatusCode::BAD_REQUEST, &json!({ "error": error, "error_description": description }))
        };
        if request.method != "POST" {
            return refuse("invalid_request", "POST the grant");
        }
        let form = form_pairs(&String::from_utf8_lossy(&request.body));
        let field = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        if field("grant_type") != Some(JWT_BEARER) {
            return refuse("unsupported_grant_type", "Invalid grant_type");
        }
        let Some(assertion) = field("assertion") else {
            return refuse("invalid_request", "Missing required parameter: assertion");
        };
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[format!("{base_url}/token")]);
        validation.set_issuer(&[self.client_email.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = match jsonwebtoken::decode::<AssertionClaims>(assertion, &self.public_key, &validation) {
            Ok(data) => data.claims,
            Err(_) => return refuse("invalid_grant", "Invalid JWT Signature."),
        };
        if claims.scope != SCOPE || claims.exp - claims.iat > 3600 {
            return refuse("invalid_scope", "Invalid OAuth scope or lifetime");
        }
        let token = random_token("ya29.");
        lock(&self.tokens).push(token.clone());
        json(StatusCode::OK, &json!({ "access_token": token, "expires_in": 3599, "token_type": "Bearer" }))
    }

    fn authorised(&self, request: &Received) -> bool {
        request.bearer().is_some_and(|token| lock(&self.tokens).iter().any(|t| t == token))
    }

    /// Throttling or a malformed answer, when asked for.
    fn injected(&self) -> Option<Response> {
        if let Some(wait) = self.common.take_throttle() {
            let wait = wait.map(|w| w.to_string());
            let mut headers = vec![("content-type", "application/json")];
            if let Some(wait) = &wait {
                headers.push(("retry-after", wait));
            }
            let body = json!({ "error": { "code": 403, "message": "Exceeded rate limits: too many api requests per user per method for this user_method.", "errors": [{ "reason": "rateLimitExceeded" }], "status": "PERMISSION_DENIED" } });
            return Some(with_headers(StatusCode::FORBIDDEN, &headers, serde_json::to_vec(&body).expect("JSON")));
        }
        self.common.take_malformed().then(garbage)
    }

    fn query(&self, request: &Received) -> Response {
        let invalid = |message: &str| google_error(StatusCode::BAD_REQUEST, "invalid", message);
        let body = request.json();
        if body.get("useLegacySql") != Some(&json!(false)) {
            return invalid("useLegacySql must be false");
        }
        if body.get("parameterMode") != Some(&json!("NAMED")) {
            return invalid("parameterMode must be NAMED");
        }
        let Some(sql) = body.get("query").and_then(Value::as_str) else {
            return invalid("Required parameter is missing: query");
        };
        if !sql.contains(&format!("`{}`", self.table)) {
            return google_error(StatusCode::NOT_FOUND, "notFound", "Not found: Table (the query names another table)");
        }
        let parameter = |name: &str, kind: &str| {
            body.get("queryParameters").and_then(Value::as_array).and_then(|parameters| {
                parameters.iter().find(|p| p["name"] == json!(name) && p["parameterType"]["type"] == json!(kind))
            })
        };
        let date = |name: &str| {
            parameter(name, "DATE")
                .and_then(|p| p["parameterValue"]["value"].as_str())
                .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        };
        let (Some(start), Some(end)) = (date("start_day"), date("end_day")) else {
            return invalid("Query parameters start_day and end_day (DATE) are required");
        };
        if !sql.contains("@start_day") || !sql.contains("@end_day") || !sql.contains("@site_label") {
            return invalid("The query must use @start_day, @end_day and @site_label");
        }
        if sql.contains(&start.to_string()) || sql.contains(&end.to_string()) {
            return invalid("Dates must be query parameters, not text in the query");
        }
        let label = parameter("site_label", "STRING").and_then(|p| p["parameterValue"]["value"].as_str());
        if label != Some(SITE_LABEL) {
            return invalid("Query parameter site_label (STRING) must be canopy_site_id");
        }
        let rows = match self.compute(start, end) {
            Ok(rows) => rows,
            Err(message) => return invalid(&message),
        };
        let job_id = random_token("job_");
        let reads_until_complete = self.incomplete_reads.load(Ordering::SeqCst);
        lock(&self.jobs).insert(job_id.clone(), Job { rows, reads_until_complete });
        let max = body.get("maxResults").and_then(Value::as_u64).unwrap_or(u64::MAX) as usize;
        self.page("bigquery#queryResponse", &job_id, 0, max)
    }

    /// What the query computes over the held costs.
    fn compute(&self, start: NaiveDate, end: NaiveDate) -> Result<Vec<Vec<Value>>, String> {
        type Key = (NaiveDate, String, String, String, String, String, String);
        let mut sums: BTreeMap<Key, i64> = BTreeMap::new();
        for line in lock(&self.costs).iter().filter(|c| c.day >= start && c.day <= end) {
            let cost = parse_micros(&line.cost).map_err(|e| e.to_string())?;
            let credits = parse_micros(&line.credits).map_err(|e| e.to_string())?;
            let key = (
                line.day,
                line.global_name.clone(),
                line.name.clone(),
                line.service.clone(),
                line.region.clone(),
                line.label.clone(),
                line.currency.clone(),
            );
            *sums.entry(key).or_default() += cost + credits;
        }
        Ok(sums
            .into_iter()
            .map(|((day, global_name, name, service, region, label, currency), amount)| {
                let cell = |text: String| json!({ "v": text });
                vec![
                    cell(format_micros(amount)),
                    cell(day.to_string()),
                    cell(service),
                    cell(global_name),
                    cell(name),
                    cell(region),
                    cell(label),
                    cell(currency),
                ]
            })
            .collect())
    }

    /// A job's state or a page of its rows from `offset`.
    fn page(&self, kind: &str, job_id: &str, offset: usize, max: usize) -> Response {
        let mut jobs = lock(&self.jobs);
        let Some(job) = jobs.get_mut(job_id) else {
            return google_error(StatusCode::NOT_FOUND, "notFound", &format!("Not found: Job {job_id}"));
        };
        let reference = json!({ "projectId": self.project_id, "jobId": job_id, "location": "EU" });
        if job.reads_until_complete > 0 {
            job.reads_until_complete -= 1;
            return json(StatusCode::OK, &json!({ "kind": kind, "jobReference": reference, "jobComplete": false }));
        }
        let size = max.clamp(1, super::PAGE_SIZE);
        let (start, end) = page_bounds(offset, size, job.rows.len());
        let rows: Vec<Value> = job.rows[start..end].iter().map(|cells| json!({ "f": cells })).collect();
        let fields: Vec<Value> =
            FIELDS.iter().map(|(name, kind)| json!({ "name": name, "type": kind, "mode": "NULLABLE" })).collect();
        let mut answer = json!({
            "kind": kind,
            "schema": { "fields": fields },
            "jobReference": reference,
            "totalRows": job.rows.len().to_string(),
            "rows": rows,
            "totalBytesProcessed": "1024",
            "jobComplete": true,
            "cacheHit": false,
        });
        if end < job.rows.len() {
            answer["pageToken"] = json!(format!("offset-{end}"));
        }
        json(StatusCode::OK, &answer)
    }
}

impl Api for State {
    fn common(&self) -> &Common {
        &self.common
    }

    fn answer(&self, base_url: &str, request: &Received) -> Response {
        if request.path == "/token" {
            return self.token(base_url, request);
        }
        let queries = format!("/bigquery/v2/projects/{}/queries", self.project_id);
        let Some(rest) = request.path.strip_prefix(&queries) else {
            return google_error(StatusCode::NOT_FOUND, "notFound", "Not found");
        };
        if !self.authorised(request) {
            return google_error(
                StatusCode::UNAUTHORIZED,
                "authError",
                "Request had invalid authentication credentials.",
            );
        }
        if let Some(answer) = self.injected() {
            return answer;
        }
        match (request.method.as_str(), rest) {
            ("POST", "") => self.query(request),
            ("GET", job) if job.starts_with('/') => {
                let offset = match request.query_param("pageToken") {
                    None => 0,
                    Some(token) => match token.strip_prefix("offset-").and_then(|n| n.parse().ok()) {
                        Some(offset) => offset,
                        None => return google_error(StatusCode::BAD_REQUEST, "invalid", "Invalid page token"),
                    },
                };
                let max = request.query_param("maxResults").and_then(|m| m.parse().ok()).unwrap_or(usize::MAX);
                self.page("bigquery#getQueryResultsResponse", &job[1..], offset, max)
            }
            _ => google_error(StatusCode::NOT_FOUND, "notFound", "Not found"),
        }
    }
}
