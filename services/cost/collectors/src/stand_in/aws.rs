//! AWS Cost Explorer `GetCostAndUsage`: POST `/` with JSON 1.1, checked for its target,
//! content type, date, SigV4 signature (recomputed with the account's secret) and body;
//! answers daily groups by `canopy_site_id` tag and SERVICE, [`super::PAGE_SIZE`] groups a
//! page with a `NextPageToken`. Refusals and throttling as AWS answers them: 400
//! `UnrecognizedClientException` for an unknown key, 403 `InvalidSignatureException`
//! for a wrong signature, 400 `ThrottlingException` when throttled.

use std::sync::Mutex;

use axum::response::Response;
use chrono::NaiveDate;
use http::StatusCode;
use serde_json::{Value, json};

use super::{Api, Common, Received, Server, garbage, json, lock, page_bounds};
use crate::aws::{CONTENT_TYPE, METRIC, SITE_TAG, TARGET};
use crate::{AccountConfig, Secret, sigv4};

/// One day's unblended cost of a service for a tag value ("" = untagged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCost {
    pub day: NaiveDate,
    pub tag: String,
    pub service: String,
    /// Decimal text, as Cost Explorer sends it.
    pub amount: String,
}

impl AwsCost {
    pub fn new(day: NaiveDate, tag: &str, service: &str, amount: &str) -> Self {
        Self { day, tag: tag.into(), service: service.into(), amount: amount.into() }
    }
}

struct State {
    common: Common,
    access_key_id: String,
    secret_access_key: String,
    region: String,
    costs: Mutex<Vec<AwsCost>>,
}

/// A running Cost Explorer stand-in.
pub struct AwsStandIn {
    server: Server<State>,
}

impl AwsStandIn {
    /// A stand-in for the account with these keys.
    pub async fn start(access_key_id: &str, secret_access_key: &str) -> Self {
        let state = State {
            common: Common::default(),
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            region: "us-east-1".into(),
            costs: Mutex::new(Vec::new()),
        };
        Self { server: Server::start(state).await }
    }

    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// The account's configuration pointing here, with `secret_access_key`.
    pub fn config_with_secret(&self, secret_access_key: &str) -> AccountConfig {
        AccountConfig::Aws {
            access_key_id: self.server.state.access_key_id.clone(),
            secret_access_key: Secret::new(secret_access_key),
            session_token: None,
            base_url: self.server.url.clone(),
            region: self.server.state.region.clone(),
        }
    }

    /// The account's configuration pointing here.
    pub fn config(&self) -> AccountConfig {
        self.config_with_secret(&self.server.state.secret_access_key)
    }

    /// Replaces the costs.
    pub fn set_costs(&self, costs: Vec<AwsCost>) {
        *lock(&self.server.state.costs) = costs;
    }

    /// Changes the amount of a day's cost, as Cost Explorer does when it restates a day.
    pub fn restate(&self, day: NaiveDate, tag: &str, service: &str, amount: &str) {
        for cost in lock(&self.server.state.costs).iter_mut() {
            if cost.day == day && cost.tag == tag && cost.service == service {
                cost.amount = amount.into();
            }
        }
    }

    /// Throttles the next `requests` requests with `ThrottlingException` (Cost Explorer
    /// names no wait, so the client backs off).
    pub fn throttle(&self, requests: usize) {
        self.server.throttle(requests, None);
    }

    /// See [`Server::malformed`].
    pub fn malformed(&self, requests: usize) {
        self.server.malformed(requests);
    }

    pub fn received(&self) -> Vec<Received> {
        self.server.received()
    }
}

fn aws_error(status: StatusCode, kind: &str, message: &str) -> Response {
    json(status, &json!({ "__type": kind, "message": message }))
}

impl State {
    /// The reason the request's signature is refused, if it is.
    fn check_signature(&self, request: &Received) -> Option<Response> {
        let refused = |status, kind, message: &str| Some(aws_error(status, kind, message));
        let Some(authorization) = request.header("authorization").and_then(sigv4::parse_authorization) else {
            return refused(
                StatusCode::BAD_REQUEST,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            );
        };
        if authorization.access_key_id != self.access_key_id {
            return refused(
                StatusCode::BAD_REQUEST,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            );
        }
        let Some(amz_date) = request.header("x-amz-date") else {
            return refused(StatusCode::BAD_REQUEST, "IncompleteSignatureException", "X-Amz-Date is missing");
        };
        let fresh = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
            .map(|at| (chrono::Utc::now().naive_utc() - at).num_minutes().abs() <= 15)
            .unwrap_or(false);
        if !fresh {
            return refused(StatusCode::FORBIDDEN, "InvalidSignatureException", "Signature expired");
        }
        let signer = sigv4::Signer {
            access_key_id: &self.access_key_id,
            secret_access_key: &self.secret_access_key,
            region: &self.region,
            service: "ce",
        };
        if authorization.scope != signer.scope(amz_date) {
            return refused(
                StatusCode::FORBIDDEN,
                "InvalidSignatureException",
                "Credential should be scoped correctly",
            );
        }
        for needed in ["host", "x-amz-date", "x-amz-target"] {
            if !authorization.signed_headers.iter().any(|h| h == needed) {
                return refused(
                    StatusCode::FORBIDDEN,
                    "InvalidSignatureException",
                    &format!("{needed} must be signed"),
                );
            }
        }
        let mut headers = Vec::new();
        for name in &authorization.signed_headers {
            let Some(value) = request.header(name) else {
                return refused(
                    StatusCode::FORBIDDEN,
                    "InvalidSignatureException",
                    &format!("{name} is signed but absent"),
                );
            };
            headers.push((name.as_str(), value));
        }
        let signable = sigv4::Request {
            method: &request.method,
            path: &request.path,
            query: &request.query,
            headers: &headers,
            body: &request.body,
        };
        let (canonical, _) = sigv4::canonical_request(&signable);
        if signer.signature(&canonical, amz_date) != authorization.signature {
            return refused(
                StatusCode::FORBIDDEN,
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided.",
            );
        }
        None
    }

    /// The reason the body is invalid, if it is; else the range and the page offset.
    fn check_body(&self, body: &Value) -> Result<(NaiveDate, NaiveDate, usize), String> {
        let date = |pointer: &str| {
            body.pointer(pointer)
                .and_then(Value::as_str)
                .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
                .ok_or_else(|| format!("{pointer} must be a yyyy-MM-dd date"))
        };
        let (start, end) = (date("/TimePeriod/Start")?, date("/TimePeriod/End")?);
        if end <= start {
            return Err("End date must be after Start date".into());
        }
        if body.get("Granularity") != Some(&json!("DAILY")) {
            return Err("Granularity must be DAILY here".into());
        }
        if body.get("Metrics") != Some(&json!([METRIC])) {
            return Err(format!("Metrics must be [{METRIC}] here"));
        }
        let group_by = json!([{ "Type": "TAG", "Key": SITE_TAG }, { "Type": "DIMENSION", "Key": "SERVICE" }]);
        if body.get("GroupBy") != Some(&group_by) {
            return Err("GroupBy must be the canopy_site_id tag and the SERVICE dimension".into());
        }
        let offset = match body.get("NextPageToken") {
            None => 0,
            Some(token) => token
                .as_str()
                .and_then(|t| t.strip_prefix("page-"))
                .and_then(|n| n.parse().ok())
                .ok_or("Invalid NextPageToken")?,
        };
        Ok((start, end, offset))
    }
}

impl Api for State {
    fn common(&self) -> &Common {
        &self.common
    }

    fn answer(&self, _base_url: &str, request: &Received) -> Response {
        if request.method != "POST" || request.path != "/" {
            return aws_error(StatusCode::NOT_FOUND, "UnknownOperationException", "Unknown operation");
        }
        if request.header("x-amz-target") != Some(TARGET) {
            return aws_error(StatusCode::BAD_REQUEST, "UnknownOperationException", "Unknown operation");
        }
        if request.header("content-type") != Some(CONTENT_TYPE) {
            return aws_error(StatusCode::BAD_REQUEST, "SerializationException", "Unexpected content type");
        }
        if let Some(refusal) = self.check_signature(request) {
            return refusal;
        }
        if self.common.take_throttle().is_some() {
            return aws_error(StatusCode::BAD_REQUEST, "ThrottlingException", "Rate exceeded");
        }
        if self.common.take_malformed() {
            return garbage();
        }
        let (start, end, offset) = match self.check_body(&request.json()) {
            Ok(parsed) => parsed,
            Err(message) => return aws_error(StatusCode::BAD_REQUEST, "ValidationException", &message),
        };
        let mut costs: Vec<AwsCost> =
            lock(&self.costs).iter().filter(|c| c.day >= start && c.day < end).cloned().collect();
        costs.sort_by(|a, b| (a.day, &a.tag, &a.service).cmp(&(b.day, &b.tag, &b.service)));
        let (from, to) = page_bounds(offset, super::PAGE_SIZE, costs.len());
        let page = &costs[from..to];
        let mut results: Vec<Value> = Vec::new();
        for cost in page {
            let group = json!({
                "Keys": [format!("{SITE_TAG}${}", cost.tag), cost.service],
                "Metrics": { METRIC: { "Amount": cost.amount, "Unit": "USD" } },
            });
            let day = cost.day.to_string();
            match results.last_mut() {
                Some(last) if last["TimePeriod"]["Start"] == json!(day) => {
                    last["Groups"].as_array_mut().expect("groups").push(group);
                }
                _ => results.push(json!({
                    "TimePeriod": { "Start": day, "End": (cost.day + chrono::Days::new(1)).to_string() },
                    "Total": {},
                    "Groups": [group],
                    "Estimated": false,
                })),
            }
        }
        let mut answer = json!({
            "GroupDefinitions": [{ "Type": "TAG", "Key": SITE_TAG }, { "Type": "DIMENSION", "Key": "SERVICE" }],
            "ResultsByTime": results,
            "DimensionValueAttributes": [],
        });
        if to < costs.len() {
            answer["NextPageToken"] = json!(format!("page-{to}"));
        }
        json(StatusCode::OK, &answer)
    }
}
