//! Azure: the Microsoft identity platform's token endpoint
//! (`POST /{tenant}/oauth2/v2.0/token`, client-credentials grant, checked against the
//! service principal) and Cost Management `query` on the subscription (bearer token it
//! issued, `api-version`, the body's type, timeframe, granularity, aggregation and
//! grouping). Rows come [`super::PAGE_SIZE`] a page with `properties.nextLink`
//! (`$skiptoken`); throttling is a 429 with Cost Management's
//! `x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after`.

use std::sync::Mutex;

use axum::response::Response;
use chrono::NaiveDate;
use http::StatusCode;
use serde_json::{Value, json};

use super::{
    Api, Common, Received, Server, form_pairs, garbage, json, lock, number, page_bounds, random_token, with_headers,
};
use crate::azure::{API_VERSION, SCOPE, SITE_TAG};
use crate::{AccountConfig, Secret};

/// One day's pre-tax cost of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureCost {
    pub day: NaiveDate,
    /// "/subscriptions/…/resourceGroups/…/providers/Microsoft.Web/sites/shop-1a2b3c4d".
    pub resource_id: String,
    /// The `canopy_site_id` tag's value, if the resource has the tag.
    pub tag: Option<String>,
    /// Decimal text; sent as a JSON number, as Cost Management does.
    pub amount: String,
    pub currency: String,
}

impl AzureCost {
    pub fn new(day: NaiveDate, resource_id: &str, tag: Option<&str>, amount: &str) -> Self {
        Self {
            day,
            resource_id: resource_id.into(),
            tag: tag.map(str::to_string),
            amount: amount.into(),
            currency: "USD".into(),
        }
    }
}

struct State {
    common: Common,
    tenant_id: String,
    client_id: String,
    client_secret: String,
    subscription_id: String,
    tokens: Mutex<Vec<String>>,
    costs: Mutex<Vec<AzureCost>>,
}

/// A running Azure stand-in (token endpoint and Cost Management).
pub struct AzureStandIn {
    server: Server<State>,
}

impl AzureStandIn {
    pub async fn start(tenant_id: &str, client_id: &str, client_secret: &str, subscription_id: &str) -> Self {
        let state = State {
            common: Common::default(),
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            subscription_id: subscription_id.into(),
            tokens: Mutex::new(Vec::new()),
            costs: Mutex::new(Vec::new()),
        };
        Self { server: Server::start(state).await }
    }

    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// The account's configuration pointing here (both ARM and the login endpoint),
    /// with `client_secret`.
    pub fn config_with_secret(&self, client_secret: &str) -> AccountConfig {
        let state = &self.server.state;
        AccountConfig::Azure {
            tenant_id: state.tenant_id.clone(),
            client_id: state.client_id.clone(),
            client_secret: Secret::new(client_secret),
            subscription_id: state.subscription_id.clone(),
            base_url: self.server.url.clone(),
            login_url: self.server.url.clone(),
        }
    }

    pub fn config(&self) -> AccountConfig {
        self.config_with_secret(&self.server.state.client_secret)
    }

    pub fn set_costs(&self, costs: Vec<AzureCost>) {
        *lock(&self.server.state.costs) = costs;
    }

    /// Changes a day's amount of a resource.
    pub fn restate(&self, day: NaiveDate, resource_id: &str, amount: &str) {
        for cost in lock(&self.server.state.costs).iter_mut() {
            if cost.day == day && cost.resource_id == resource_id {
                cost.amount = amount.into();
            }
        }
    }

    /// Invalidates every token issued so far (as if the secret were rotated).
    pub fn revoke_tokens(&self) {
        lock(&self.server.state.tokens).clear();
    }

    /// Tokens issued by the token endpoint.
    pub fn tokens_issued(&self) -> usize {
        self.received().iter().filter(|r| r.path.ends_with("/oauth2/v2.0/token")).count()
    }

    /// See [`Server::throttle`].
    pub fn throttle(&self, requests: usize, retry_after: Option<u64>) {
        self.server.throttle(requests, retry_after);
    }

    pub fn malformed(&self, requests: usize) {
        self.server.malformed(requests);
    }

    pub fn received(&self) -> Vec<Received> {
        self.server.received()
    }
}

impl State {
    fn token(&self, request: &Received) -> Response {
        let refuse = |status, error: &str, description: &str| {
            json(status, &json!({ "error": error, "error_description": description }))
        };
        if request.method != "POST"
            || !request.header("content-type").unwrap_or("").starts_with("application/x-www-form-urlencoded")
        {
            return refuse(StatusCode::BAD_REQUEST, "invalid_request", "AADSTS900144: POST a form");
        }
        let form = form_pairs(&String::from_utf8_lossy(&request.body));
        let field = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        if field("grant_type") != Some("client_credentials") {
            return refuse(StatusCode::BAD_REQUEST, "unsupported_grant_type", "AADSTS70003: unsupported grant type");
        }
        if field("scope") != Some(SCOPE) {
            return refuse(StatusCode::BAD_REQUEST, "invalid_scope", "AADSTS70011: the scope is not valid");
        }
        if field("client_id") != Some(self.client_id.as_str()) {
            return refuse(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                "AADSTS700016: application not found in the directory",
            );
        }
        if field("client_secret") != Some(self.client_secret.as_str()) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided.",
            );
        }
        let token = random_token("azure-");
        lock(&self.tokens).push(token.clone());
        json(
            StatusCode::OK,
            &json!({ "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token }),
        )
    }

    fn query(&self, base_url: &str, request: &Received) -> Response {
        let arm_error =
            |status, code: &str, message: &str| json(status, &json!({ "error": { "code": code, "message": message } }));
        if request.method != "POST" {
            return arm_error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "POST the query");
        }
        if request.query_param("api-version").as_deref() != Some(API_VERSION) {
            return arm_error(StatusCode::BAD_REQUEST, "InvalidApiVersionParameter", "unsupported api-version");
        }
        let authorised = request.bearer().is_some_and(|token| lock(&self.tokens).iter().any(|t| t == token));
        if !authorised {
            return arm_error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", "The access token is invalid.");
        }
        if let Some(wait) = self.common.take_throttle() {
            let wait = wait.unwrap_or(60).to_string();
            return with_headers(
                StatusCode::TOO_MANY_REQUESTS,
                &[
                    ("content-type", "application/json"),
                    ("x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after", &wait),
                ],
                br#"{"error":{"code":"429","message":"Too many requests. Please retry."}}"#.to_vec(),
            );
        }
        if self.common.take_malformed() {
            return garbage();
        }
        let body = request.json();
        let (from, to) = match check_body(&body) {
            Ok(range) => range,
            Err(message) => return arm_error(StatusCode::BAD_REQUEST, "BadRequest", &message),
        };
        let offset: usize = request.query_param("$skiptoken").and_then(|t| t.parse().ok()).unwrap_or(0);
        let mut costs: Vec<AzureCost> =
            lock(&self.costs).iter().filter(|c| c.day >= from && c.day <= to).cloned().collect();
        costs.sort_by(|a, b| (a.day, &a.resource_id).cmp(&(b.day, &b.resource_id)));
        let (start, end) = page_bounds(offset, super::PAGE_SIZE, costs.len());
        let rows: Vec<Value> = costs[start..end]
            .iter()
            .map(|cost| {
                let day: u64 = cost.day.format("%Y%m%d").to_string().parse().expect("digits");
                let (key, value) = match &cost.tag {
                    Some(value) => (SITE_TAG, value.as_str()),
                    None => ("", ""),
                };
                json!([number(&cost.amount), day, key, value, cost.resource_id, cost.currency])
            })
            .collect();
        let next_link = (end < costs.len()).then(|| {
            format!(
                "{base_url}/subscriptions/{}/providers/Microsoft.CostManagement/query?api-version={API_VERSION}&$skiptoken={end}",
                self.subscription_id
            )
        });
        json(
            StatusCode::OK,
            &json!({
                "id": format!("subscriptions/{}/providers/Microsoft.CostManagement/query/{}", self.subscription_id, uuid::Uuid::new_v4()),
                "name": uuid::Uuid::new_v4().to_string(),
                "type": "Microsoft.CostManagement/query",
                "properties": {
                    "nextLink": next_link,
                    "columns": [
                        { "name": "PreTaxCost", "type": "Number" },
                        { "name": "UsageDate", "type": "Number" },
                        { "name": "TagKey", "type": "String" },
                        { "name": "TagValue", "type": "String" },
                        { "name": "ResourceId", "type": "String" },
                        { "name": "Currency", "type": "String" },
                    ],
                    "rows": rows,
                },
            }),
        )
    }
}

fn check_body(body: &Value) -> Result<(NaiveDate, NaiveDate), String> {
    let expect = |pointer: &str, value: Value| {
        if body.pointer(pointer) == Some(&value) { Ok(()) } else { Err(format!("{pointer} must be {value}")) }
    };
    expect("/type", json!("ActualCost"))?;
    expect("/timeframe", json!("Custom"))?;
    expect("/dataset/granularity", json!("Daily"))?;
    expect("/dataset/aggregation", json!({ "totalCost": { "name": "PreTaxCost", "function": "Sum" } }))?;
    expect(
        "/dataset/grouping",
        json!([{ "type": "TagKey", "name": SITE_TAG }, { "type": "Dimension", "name": "ResourceId" }]),
    )?;
    let day = |pointer: &str| {
        body.pointer(pointer)
            .and_then(Value::as_str)
            .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
            .map(|time| time.date_naive())
            .ok_or_else(|| format!("{pointer} must be a date-time"))
    };
    let (from, to) = (day("/timePeriod/from")?, day("/timePeriod/to")?);
    if to < from {
        return Err("timePeriod ends before it starts".into());
    }
    Ok((from, to))
}

impl Api for State {
    fn common(&self) -> &Common {
        &self.common
    }

    fn answer(&self, base_url: &str, request: &Received) -> Response {
        if request.path == format!("/{}/oauth2/v2.0/token", self.tenant_id) {
            return self.token(request);
        }
        if request.path == format!("/subscriptions/{}/providers/Microsoft.CostManagement/query", self.subscription_id) {
            return self.query(base_url, request);
        }
        json(StatusCode::NOT_FOUND, &json!({ "error": { "code": "NotFound", "message": "no such path" } }))
    }
}
