//! Akamai (Linode): `GET /v4/account/invoices` (honouring an `X-Filter` on `date` with
//! `+gte`/`+lte`) and `GET /v4/account/invoices/{invoiceId}/items`, with the account's
//! bearer token. Lists honour `page_size` (25–500) up to [`super::PAGE_SIZE`] and page
//! with `page`/`pages`/`results`; amounts are JSON numbers. Throttling is a 429 with
//! `Retry-After` and `X-RateLimit-Reset`.

use std::sync::Mutex;

use axum::response::Response;
use chrono::NaiveDate;
use http::StatusCode;
use serde_json::{Value, json};

use super::{Api, Common, Received, Server, garbage, json, lock, number, page_bounds, with_headers};
use crate::decimal::{format_micros, parse_micros};
use crate::{AccountConfig, Secret};

/// One invoice item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinodeItem {
    /// "Linode 2GB - shop-1a2b3c4d (12345678)".
    pub label: String,
    /// Decimal text; sent as a JSON number.
    pub amount: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub region: Option<String>,
}

impl LinodeItem {
    pub fn new(label: &str, amount: &str, from: NaiveDate, to: NaiveDate) -> Self {
        Self { label: label.into(), amount: amount.into(), from, to, region: Some("de-fra-2".into()) }
    }
}

/// One invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinodeInvoice {
    pub id: u64,
    pub date: NaiveDate,
    pub items: Vec<LinodeItem>,
}

struct State {
    common: Common,
    token: String,
    invoices: Mutex<Vec<LinodeInvoice>>,
}

/// A running Linode API stand-in.
pub struct AkamaiStandIn {
    server: Server<State>,
}

impl AkamaiStandIn {
    pub async fn start(token: &str) -> Self {
        let state = State { common: Common::default(), token: token.into(), invoices: Mutex::new(Vec::new()) };
        Self { server: Server::start(state).await }
    }

    pub fn url(&self) -> &str {
        &self.server.url
    }

    pub fn config_with_token(&self, token: &str) -> AccountConfig {
        AccountConfig::Akamai { token: Secret::new(token), base_url: self.server.url.clone() }
    }

    pub fn config(&self) -> AccountConfig {
        self.config_with_token(&self.server.state.token)
    }

    pub fn set_invoices(&self, invoices: Vec<LinodeInvoice>) {
        *lock(&self.server.state.invoices) = invoices;
    }

    /// Changes an item's amount (by label).
    pub fn restate(&self, invoice_id: u64, label: &str, amount: &str) {
        for invoice in lock(&self.server.state.invoices).iter_mut().filter(|i| i.id == invoice_id) {
            for item in invoice.items.iter_mut().filter(|i| i.label == label) {
                item.amount = amount.into();
            }
        }
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
}

fn linode_error(status: StatusCode, reason: &str) -> Response {
    json(status, &json!({ "errors": [{ "reason": reason }] }))
}

/// `(page, page_size)`, checked as the API does; the reason if they are not valid.
fn paging(request: &Received) -> Result<(usize, usize), String> {
    let number = |name: &str, default: usize| match request.query_param(name) {
        None => Ok(default),
        Some(text) => text.parse::<usize>().map_err(|_| format!("{name} must be a number")),
    };
    let page = number("page", 1)?;
    let size = number("page_size", 100)?;
    if page == 0 || !(25..=500).contains(&size) {
        return Err("page must be at least 1; page_size must be 25 to 500".into());
    }
    Ok((page, size.min(super::PAGE_SIZE)))
}

/// A page of a list.
fn page_of(items: Vec<Value>, page: usize, size: usize) -> Response {
    let pages = items.len().div_ceil(size).max(1);
    let (start, end) = page_bounds((page - 1) * size, size, items.len());
    json(StatusCode::OK, &json!({ "data": items[start..end], "page": page, "pages": pages, "results": items.len() }))
}

/// Whether an invoice's date passes an `X-Filter` on `date` (`+gte`, `+lte`, equality).
fn passes(filter: &Value, date: NaiveDate) -> Result<bool, String> {
    let Some(condition) = filter.get("date") else {
        return Ok(true);
    };
    let parse = |value: &Value| {
        value
            .as_str()
            .and_then(|text| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").ok())
            .map(|time| time.date())
            .ok_or_else(|| format!("{value} is not a date-time"))
    };
    let mut pass = true;
    match condition {
        Value::Object(operators) => {
            for (operator, value) in operators {
                let bound = parse(value)?;
                pass &= match operator.as_str() {
                    "+gte" => date >= bound,
                    "+lte" => date <= bound,
                    "+gt" => date > bound,
                    "+lt" => date < bound,
                    other => return Err(format!("unsupported operator {other}")),
                };
            }
        }
        value => pass = date == parse(value)?,
    }
    Ok(pass)
}

impl Api for State {
    fn common(&self) -> &Common {
        &self.common
    }

    fn answer(&self, _base_url: &str, request: &Received) -> Response {
        if request.bearer() != Some(self.token.as_str()) {
            return linode_error(StatusCode::UNAUTHORIZED, "Invalid Token");
        }
        if request.method != "GET" {
            return linode_error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
        }
        if let Some(wait) = self.common.take_throttle() {
            let reset = (chrono::Utc::now().timestamp() + wait.unwrap_or(60) as i64).to_string();
            let wait_text = wait.map(|w| w.to_string());
            let mut headers = vec![
                ("content-type", "application/json"),
                ("x-ratelimit-limit", "200"),
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", reset.as_str()),
            ];
            if let Some(wait) = &wait_text {
                headers.push(("retry-after", wait));
            }
            return with_headers(
                StatusCode::TOO_MANY_REQUESTS,
                &headers,
                br#"{"errors":[{"reason":"Too Many Requests"}]}"#.to_vec(),
            );
        }
        if self.common.take_malformed() {
            return garbage();
        }
        let (page, size) = match paging(request) {
            Ok(paging) => paging,
            Err(reason) => return linode_error(StatusCode::BAD_REQUEST, &reason),
        };
        let invoices = lock(&self.invoices).clone();
        let parts: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
        match parts.as_slice() {
            ["v4", "account", "invoices"] => {
                let filter = match request.header("x-filter").map(serde_json::from_str::<Value>) {
                    None => Value::Null,
                    Some(Ok(filter)) => filter,
                    Some(Err(_)) => return linode_error(StatusCode::BAD_REQUEST, "X-Filter is not JSON"),
                };
                let mut listed = Vec::new();
                for invoice in &invoices {
                    match passes(&filter, invoice.date) {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(reason) => return linode_error(StatusCode::BAD_REQUEST, &reason),
                    }
                    let total: i64 = invoice.items.iter().filter_map(|i| parse_micros(&i.amount).ok()).sum();
                    listed.push(json!({
                        "id": invoice.id,
                        "date": format!("{}T00:00:00", invoice.date),
                        "label": format!("Invoice #{}", invoice.id),
                        "subtotal": number(&format_micros(total)),
                        "tax": 0,
                        "total": number(&format_micros(total)),
                        "billing_source": "akamai",
                    }));
                }
                page_of(listed, page, size)
            }
            ["v4", "account", "invoices", id, "items"] => {
                let Some(invoice) = id.parse::<u64>().ok().and_then(|id| invoices.iter().find(|i| i.id == id)) else {
                    return linode_error(StatusCode::NOT_FOUND, "Not found");
                };
                let items: Vec<Value> = invoice
                    .items
                    .iter()
                    .map(|item| {
                        json!({
                            "label": item.label,
                            "amount": number(&item.amount),
                            "tax": 0,
                            "total": number(&item.amount),
                            "from": format!("{}T00:00:00", item.from),
                            "to": format!("{}T23:59:59", item.to),
                            "type": "hourly",
                            "region": item.region,
                            "unit_price": "0.03",
                            "quantity": 720,
                        })
                    })
                    .collect();
                page_of(items, page, size)
            }
            _ => linode_error(StatusCode::NOT_FOUND, "Not found"),
        }
    }
}
