//! DigitalOcean: invoices (`/v2/customers/my/invoices`, then each invoice's items) as
//! invoiced monthly records, and billing insights
//! (`/v2/billing/{account_urn}/insights/{start_date}/{end_date}`, at most 31 days a
//! request) as accrued daily records. Lists page with `links.pages.next`
//! (invoices) and `page`/`total_pages` (insights). Throttling is a 429 with
//! `Retry-After` or `ratelimit-reset` (a Unix time).

use canopy_kit::http::{HttpClient, HttpResponse};
use chrono::{Datelike as _, NaiveDate};
use futures_util::future::BoxFuture;
use serde::Deserialize;

use crate::fetch::{self, Call, Dialect, Verdict};
use crate::oauth::encode;
use crate::record::merge;
use crate::resource_type::classify;
use crate::site::{KnownSites, resolve_site};
use crate::{AccountConfig, CollectError, Collector, ConfigError, CostRecord, DateRange, Granularity, Secret, Source};

/// Items asked for per page (the API's maximum).
pub const PER_PAGE: u32 = 200;
/// The longest range one insights request may cover.
pub const INSIGHTS_MAX_DAYS: u64 = 31;

/// Collects from DigitalOcean.
pub struct DigitalOceanCollector {
    http: HttpClient,
    base_url: String,
    token: Secret,
    account_urn: String,
    sites: KnownSites,
}

impl std::fmt::Debug for DigitalOceanCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigitalOceanCollector")
            .field("base_url", &self.base_url)
            .field("account_urn", &self.account_urn)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

struct DigitalOcean;

impl Dialect for DigitalOcean {
    fn name(&self) -> &'static str {
        "DigitalOcean"
    }

    fn verdict(&self, response: &HttpResponse) -> Verdict {
        let wait = fetch::retry_after(response).or_else(|| fetch::reset_header(response, "ratelimit-reset"));
        fetch::standard_verdict(response, wait)
    }
}

#[derive(Deserialize)]
struct InvoiceList {
    invoices: Vec<Invoice>,
    #[serde(default)]
    links: Links,
}

#[derive(Deserialize)]
struct Invoice {
    invoice_uuid: String,
    /// "2026-11".
    invoice_period: String,
}

#[derive(Deserialize, Default)]
struct Links {
    #[serde(default)]
    pages: Pages,
}

#[derive(Deserialize, Default)]
struct Pages {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
struct InvoiceItems {
    invoice_items: Vec<InvoiceItem>,
    #[serde(default)]
    links: Links,
}

#[derive(Deserialize)]
struct InvoiceItem {
    #[serde(default)]
    product: String,
    #[serde(default)]
    resource_id: String,
    #[serde(default)]
    resource_uuid: String,
    #[serde(default)]
    group_description: String,
    #[serde(default)]
    description: String,
    amount: String,
    start_time: String,
    #[serde(default)]
    project_name: String,
}

#[derive(Deserialize)]
struct Insights {
    data_points: Vec<DataPoint>,
    #[serde(default)]
    current_page: u32,
    #[serde(default)]
    total_pages: u32,
}

#[derive(Deserialize)]
struct DataPoint {
    start_date: NaiveDate,
    total_amount: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    group_description: String,
}

impl DigitalOceanCollector {
    pub(crate) fn new(config: &AccountConfig, http: HttpClient) -> Result<Self, ConfigError> {
        let AccountConfig::Digitalocean { token, account_urn, base_url } = config else {
            return Err(ConfigError::new("kind", "not a digitalocean account"));
        };
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            token: token.clone(),
            account_urn: account_urn.clone(),
            sites: KnownSites::default(),
        })
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, url: &str, what: &str) -> Result<T, CollectError> {
        let response =
            fetch::send(&self.http, &DigitalOcean, || Call::get(url.to_string()).bearer(self.token.expose())).await?;
        fetch::json(&DigitalOcean, what, &response)
    }

    async fn collect_days(&self, days: DateRange) -> Result<Vec<CostRecord>, CollectError> {
        let sites = self.sites.get();
        let mut records = self.insights(days, &sites).await?;
        records.extend(self.invoiced(days, &sites).await?);
        Ok(merge(records))
    }

    /// Accrued daily costs, 31 days a request.
    async fn insights(&self, days: DateRange, sites: &[uuid::Uuid]) -> Result<Vec<CostRecord>, CollectError> {
        let mut records = Vec::new();
        for chunk in days.chunks(INSIGHTS_MAX_DAYS) {
            let mut page = 1;
            loop {
                let url = format!(
                    // The URN is checked (do:team:<uuid>), and its colons are sent as they are.
                    "{}/v2/billing/{}/insights/{}/{}?page={page}&per_page={PER_PAGE}",
                    self.base_url, self.account_urn, chunk.start, chunk.end
                );
                let answer: Insights = self.get(&url, "billing insights").await?;
                for point in answer.data_points {
                    if !chunk.contains(point.start_date) {
                        continue;
                    }
                    records.push(insight_record(point, sites)?);
                }
                let current = answer.current_page.max(page);
                if current >= answer.total_pages {
                    break;
                }
                page = current + 1;
            }
        }
        Ok(records)
    }

    /// Invoiced monthly lines of the invoices whose month overlaps `days`.
    async fn invoiced(&self, days: DateRange, sites: &[uuid::Uuid]) -> Result<Vec<CostRecord>, CollectError> {
        let mut invoices = Vec::new();
        let mut url = Some(format!("{}/v2/customers/my/invoices?page=1&per_page={PER_PAGE}", self.base_url));
        while let Some(next) = url.take() {
            let list: InvoiceList = self.get(&next, "invoice list").await?;
            invoices.extend(list.invoices);
            url = list.links.pages.next.filter(|link| !link.is_empty());
        }
        let mut records = Vec::new();
        for invoice in invoices {
            let first =
                NaiveDate::parse_from_str(&format!("{}-01", invoice.invoice_period), "%Y-%m-%d").map_err(|_| {
                    CollectError::Malformed(format!(
                        "DigitalOcean: the invoice period {:?} is not yyyy-mm",
                        invoice.invoice_period
                    ))
                })?;
            if !days.overlaps(first, last_of_month(first)) {
                continue;
            }
            let mut url = Some(format!(
                "{}/v2/customers/my/invoices/{}?page=1&per_page={PER_PAGE}",
                self.base_url,
                encode(&invoice.invoice_uuid)
            ));
            while let Some(next) = url.take() {
                let items: InvoiceItems = self.get(&next, "invoice").await?;
                for item in items.invoice_items {
                    records.push(invoice_record(item, sites)?);
                }
                url = items.links.pages.next.filter(|link| !link.is_empty());
            }
        }
        Ok(records)
    }
}

fn last_of_month(first: NaiveDate) -> NaiveDate {
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).unwrap_or(first)
}

fn insight_record(point: DataPoint, sites: &[uuid::Uuid]) -> Result<CostRecord, CollectError> {
    let amount_micros = crate::decimal::parse_micros(&point.total_amount)
        .map_err(|e| CollectError::Malformed(format!("DigitalOcean: {e}")))?;
    // Insights name no resource id: the SKU and the invoice line's description (the
    // resource's name and size) identify the line.
    let resource_id = if point.group_description.is_empty() {
        format!("{}: {}", point.sku, point.description)
    } else {
        format!("{}: {} / {}", point.sku, point.group_description, point.description)
    };
    Ok(CostRecord {
        site: resolve_site(None, &[&point.group_description, &point.description], sites),
        resource_type: classify(&[&point.sku, &point.group_description, &point.description]),
        service: point.sku,
        region: point.region,
        resource_id,
        day: point.start_date,
        granularity: Granularity::Daily,
        source: Source::Accrued,
        amount_micros,
        currency: "USD".into(),
    })
}

fn invoice_record(item: InvoiceItem, sites: &[uuid::Uuid]) -> Result<CostRecord, CollectError> {
    let malformed = |what: String| CollectError::Malformed(format!("DigitalOcean: {what}"));
    let amount_micros = crate::decimal::parse_micros(&item.amount).map_err(|e| malformed(e.to_string()))?;
    let day = chrono::DateTime::parse_from_rfc3339(&item.start_time)
        .map(|time| time.date_naive())
        .map_err(|_| malformed(format!("the start_time {:?} is not a time", item.start_time)))?;
    let resource_id = [&item.resource_uuid, &item.resource_id]
        .into_iter()
        .find(|id| !id.is_empty())
        .cloned()
        .unwrap_or_else(|| format!("{}: {}", item.product, item.description));
    Ok(CostRecord {
        site: resolve_site(None, &[&item.description, &item.group_description, &item.project_name], sites),
        resource_type: classify(&[&item.product]),
        service: item.product,
        region: String::new(),
        resource_id,
        day,
        granularity: Granularity::Monthly,
        source: Source::Invoiced,
        amount_micros,
        currency: "USD".into(),
    })
}

impl Collector for DigitalOceanCollector {
    fn kind(&self) -> &'static str {
        "digitalocean"
    }

    fn collect<'a>(&'a self, days: DateRange) -> BoxFuture<'a, Result<Vec<CostRecord>, CollectError>> {
        Box::pin(self.collect_days(days))
    }

    fn set_sites(&self, sites: &[uuid::Uuid]) {
        self.sites.set(sites);
    }
}
