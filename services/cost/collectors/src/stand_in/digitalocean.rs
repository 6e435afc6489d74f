//! DigitalOcean: `GET /v2/customers/my/invoices`, `GET /v2/customers/my/invoices/{uuid}`
//! (items) and `GET /v2/billing/{account_urn}/insights/{start_date}/{end_date}` (at most
//! 31 days), with the account's bearer token. Lists honour `per_page` (1–200) up to
//! [`super::PAGE_SIZE`]; invoices page with `links.pages.next`, insights with
//! `current_page`/`total_pages`. Throttling is a 429 with `Retry-After` and the
//! `ratelimit-*` headers.

use std::sync::Mutex;

use axum::response::Response;
use chrono::NaiveDate;
use http::StatusCode;
use serde_json::{Value, json};

use super::{Api, Common, Received, Server, garbage, json, lock, page_bounds, with_headers};
use crate::decimal::{format_micros, parse_micros};
use crate::{AccountConfig, Secret};

/// One billing insights data point (a day's estimate of an invoice line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoInsight {
    pub day: NaiveDate,
    pub sku: String,
    pub description: String,
    pub group_description: String,
    pub region: String,
    /// Decimal text.
    pub amount: String,
}

impl DoInsight {
    pub fn new(day: NaiveDate, sku: &str, description: &str, amount: &str) -> Self {
        Self {
            day,
            sku: sku.into(),
            description: description.into(),
            group_description: String::new(),
            region: "fra1".into(),
            amount: amount.into(),
        }
    }
}

/// One invoice item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoInvoiceItem {
    pub product: String,
    pub resource_uuid: String,
    pub resource_id: String,
    pub description: String,
    pub group_description: String,
    pub project_name: String,
    /// Decimal text.
    pub amount: String,
}

impl DoInvoiceItem {
    pub fn new(product: &str, resource_uuid: &str, description: &str, amount: &str) -> Self {
        Self {
            product: product.into(),
            resource_uuid: resource_uuid.into(),
            resource_id: String::new(),
            description: description.into(),
            group_description: String::new(),
            project_name: "Canopy".into(),
            amount: amount.into(),
        }
    }
}

/// One invoice: a month ("2026-11") and its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoInvoice {
    pub uuid: String,
    pub period: String,
    pub items: Vec<DoInvoiceItem>,
}

struct State {
    common: Common,
    token: String,
    account_urn: String,
    insights: Mutex<Vec<DoInsight>>,
    invoices: Mutex<Vec<DoInvoice>>,
}

/// A running DigitalOcean stand-in.
pub struct DigitalOceanStandIn {
    server: Server<State>,
}

impl DigitalOceanStandIn {
    pub async fn start(token: &str, account_urn: &str) -> Self {
        let state = State {
            common: Common::default(),
            token: token.into(),
            account_urn: account_urn.into(),
            insights: Mutex::new(Vec::new()),
            invoices: Mutex::new(Vec::new()),
        };
        Self { server: Server::start(state).await }
    }

    pub fn url(&self) -> &str {
        &self.server.url
    }

    pub fn config_with_token(&self, token: &str) -> AccountConfig {
        AccountConfig::Digitalocean {
            token: Secret::new(token),
            account_urn: self.server.state.account_urn.clone(),
            base_url: self.server.url.clone(),
        }
    }

    pub fn config(&self) -> AccountConfig {
        self.config_with_token(&self.server.state.token)
    }

    pub fn set_insights(&self, insights: Vec<DoInsight>) {
        *lock(&self.server.state.insights) = insights;
    }

    pub fn set_invoices(&self, invoices: Vec<DoInvoice>) {
        *lock(&self.server.state.invoices) = invoices;
    }

    /// Changes a day's amount of an insights line (by description).
    pub fn restate_insight(&self, day: NaiveDate, description: &str, amount: &str) {
        for point in lock(&self.server.state.insights).iter_mut() {
            if point.day == day && point.description == description {
                point.amount = amount.into();
            }
        }
    }

    /// Changes an invoice item's amount (by resource uuid).
    pub fn restate_invoice_item(&self, invoice_uuid: &str, resource_uuid: &str, amount: &str) {
        for invoice in lock(&self.server.state.invoices).iter_mut().filter(|i| i.uuid == invoice_uuid) {
            for item in invoice.items.iter_mut().filter(|i| i.resource_uuid == resource_uuid) {
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

fn do_error(status: StatusCode, id: &str, message: &str) -> Response {
    json(status, &json!({ "id": id, "message": message, "request_id": uuid::Uuid::new_v4().to_string() }))
}

/// `(page, per_page)` from the query, checked as the API does; the reason if not valid.
fn paging(request: &Received) -> Result<(usize, usize), String> {
    let number = |name: &str, default: usize| match request.query_param(name) {
        None => Ok(default),
        Some(text) => text.parse::<usize>().map_err(|_| format!("{name} is not a number")),
    };
    let page = number("page", 1)?;
    let per_page = number("per_page", 20)?;
    if page == 0 || !(1..=200).contains(&per_page) {
        return Err("page must be at least 1 and per_page 1 to 200".into());
    }
    Ok((page, per_page.min(super::PAGE_SIZE)))
}

impl State {
    fn invoice_list(&self, base_url: &str, request: &Received) -> Response {
        let (page, size) = match paging(request) {
            Ok(paging) => paging,
            Err(reason) => return do_error(StatusCode::BAD_REQUEST, "bad_request", &reason),
        };
        let invoices = lock(&self.invoices).clone();
        let (start, end) = page_bounds((page - 1) * size, size, invoices.len());
        let listed: Vec<Value> = invoices[start..end]
            .iter()
            .map(|invoice| {
                let total: i64 = invoice.items.iter().filter_map(|i| parse_micros(&i.amount).ok()).sum();
                json!({ "invoice_uuid": invoice.uuid, "invoice_id": "100001", "amount": format_micros(total), "invoice_period": invoice.period, "updated_at": "2026-12-01T06:00:00Z" })
            })
            .collect();
        let mut pages = json!({});
        if end < invoices.len() {
            pages["next"] = json!(format!("{base_url}/v2/customers/my/invoices?page={}&per_page={size}", page + 1));
        }
        json(
            StatusCode::OK,
            &json!({
                "invoices": listed,
                "invoice_preview": { "invoice_uuid": "preview", "amount": "1.00", "invoice_period": "2099-01", "updated_at": "2026-12-05T06:00:00Z" },
                "links": { "pages": pages },
                "meta": { "total": invoices.len() },
            }),
        )
    }

    fn invoice(&self, base_url: &str, uuid: &str, request: &Received) -> Response {
        let (page, size) = match paging(request) {
            Ok(paging) => paging,
            Err(reason) => return do_error(StatusCode::BAD_REQUEST, "bad_request", &reason),
        };
        let Some(invoice) = lock(&self.invoices).iter().find(|i| i.uuid == uuid).cloned() else {
            return do_error(StatusCode::NOT_FOUND, "not_found", "The resource you requested could not be found.");
        };
        let (first, last) = month_bounds(&invoice.period);
        let (start, end) = page_bounds((page - 1) * size, size, invoice.items.len());
        let items: Vec<Value> = invoice.items[start..end]
            .iter()
            .map(|item| {
                json!({
                    "product": item.product,
                    "resource_id": item.resource_id,
                    "resource_uuid": item.resource_uuid,
                    "group_description": item.group_description,
                    "description": item.description,
                    "amount": item.amount,
                    "duration": "720",
                    "duration_unit": "Hours",
                    "start_time": format!("{first}T00:00:00Z"),
                    "end_time": format!("{last}T00:00:00Z"),
                    "project_name": item.project_name,
                    "category": "iaas",
                })
            })
            .collect();
        let mut pages = json!({});
        if end < invoice.items.len() {
            pages["next"] =
                json!(format!("{base_url}/v2/customers/my/invoices/{uuid}?page={}&per_page={size}", page + 1));
        }
        json(
            StatusCode::OK,
            &json!({ "invoice_items": items, "links": { "pages": pages }, "meta": { "total": invoice.items.len() } }),
        )
    }

    fn insights(&self, urn: &str, start: &str, end: &str, request: &Received) -> Response {
        if urn != self.account_urn {
            return do_error(StatusCode::FORBIDDEN, "forbidden", "You do not have access to this account.");
        }
        let (Ok(start), Ok(end)) =
            (NaiveDate::parse_from_str(start, "%Y-%m-%d"), NaiveDate::parse_from_str(end, "%Y-%m-%d"))
        else {
            return do_error(StatusCode::BAD_REQUEST, "bad_request", "dates must be YYYY-MM-DD");
        };
        if end < start || (end - start).num_days() > 31 {
            return do_error(StatusCode::BAD_REQUEST, "bad_request", "end_date must be within 31 days of start_date");
        }
        let (page, size) = match paging(request) {
            Ok(paging) => paging,
            Err(reason) => return do_error(StatusCode::BAD_REQUEST, "bad_request", &reason),
        };
        let mut points: Vec<DoInsight> =
            lock(&self.insights).iter().filter(|p| p.day >= start && p.day <= end).cloned().collect();
        points.sort_by(|a, b| (a.day, &a.sku, &a.description).cmp(&(b.day, &b.sku, &b.description)));
        let total_pages = points.len().div_ceil(size).max(1);
        let (from, to) = page_bounds((page - 1) * size, size, points.len());
        let data: Vec<Value> = points[from..to]
            .iter()
            .map(|p| {
                json!({
                    "usage_team_urn": self.account_urn,
                    "start_date": p.day.to_string(),
                    "total_amount": p.amount,
                    "region": p.region,
                    "sku": p.sku,
                    "description": p.description,
                    "group_description": p.group_description,
                })
            })
            .collect();
        json(
            StatusCode::OK,
            &json!({ "current_page": page, "data_points": data, "total_items": points.len(), "total_pages": total_pages }),
        )
    }
}

fn month_bounds(period: &str) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").unwrap_or_default();
    let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
    (first, next.pred_opt().unwrap_or(first))
}

impl Api for State {
    fn common(&self) -> &Common {
        &self.common
    }

    fn answer(&self, base_url: &str, request: &Received) -> Response {
        if request.bearer() != Some(self.token.as_str()) {
            return do_error(StatusCode::UNAUTHORIZED, "unauthorized", "Unable to authenticate you");
        }
        if request.method != "GET" {
            return do_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "GET only");
        }
        if let Some(wait) = self.common.take_throttle() {
            let reset = (chrono::Utc::now().timestamp() + wait.unwrap_or(60) as i64).to_string();
            let mut headers = vec![
                ("content-type", "application/json"),
                ("ratelimit-limit", "5000"),
                ("ratelimit-remaining", "0"),
                ("ratelimit-reset", reset.as_str()),
            ];
            let wait_text = wait.map(|w| w.to_string());
            if let Some(wait) = &wait_text {
                headers.push(("retry-after", wait));
            }
            let body = json!({ "id": "too_many_requests", "message": "API rate limit exceeded." });
            return with_headers(StatusCode::TOO_MANY_REQUESTS, &headers, serde_json::to_vec(&body).expect("JSON"));
        }
        if self.common.take_malformed() {
            return garbage();
        }
        let parts: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
        match parts.as_slice() {
            ["v2", "customers", "my", "invoices"] => self.invoice_list(base_url, request),
            ["v2", "customers", "my", "invoices", uuid] => self.invoice(base_url, uuid, request),
            ["v2", "billing", urn, "insights", start, end] => {
                let urn = percent_encoding::percent_decode_str(urn).decode_utf8_lossy();
                self.insights(&urn, start, end, request)
            }
            _ => do_error(StatusCode::NOT_FOUND, "not_found", "The resource you requested could not be found."),
        }
    }
}
