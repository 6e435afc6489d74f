//! Akamai (Linode) invoices: `/v4/account/invoices` (only invoices dated on or after
//! the range's first day, with an `X-Filter`), then each invoice's
//! `/v4/account/invoices/{id}/items`, both paged with `page`/`pages`. Each item whose
//! period overlaps the range is an invoiced monthly record. Items carry no resource
//! id or tag, only a label: the site is the one whose id's last eight hex digits end a
//! name in it ([`crate::site_from_name`] over the sites given to
//! [`Collector::set_sites`]). Throttling is a 429 with `Retry-After` or
//! `X-RateLimit-Reset` (a Unix time).

use canopy_kit::http::{HttpClient, HttpResponse};
use chrono::NaiveDate;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use crate::fetch::{self, Call, Dialect, Verdict};
use crate::record::merge;
use crate::resource_type::classify;
use crate::site::{KnownSites, resolve_site};
use crate::{AccountConfig, CollectError, Collector, ConfigError, CostRecord, DateRange, Granularity, Secret, Source};

/// Items asked for per page (the API's maximum).
pub const PAGE_SIZE: u32 = 500;

/// Collects from the Linode API.
pub struct AkamaiCollector {
    http: HttpClient,
    base_url: String,
    token: Secret,
    sites: KnownSites,
}

impl std::fmt::Debug for AkamaiCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AkamaiCollector")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

struct Linode;

impl Dialect for Linode {
    fn name(&self) -> &'static str {
        "Linode API"
    }

    fn verdict(&self, response: &HttpResponse) -> Verdict {
        let wait = fetch::retry_after(response).or_else(|| fetch::reset_header(response, "x-ratelimit-reset"));
        fetch::standard_verdict(response, wait)
    }
}

#[derive(Deserialize)]
struct Page<T> {
    data: Vec<T>,
    page: u32,
    pages: u32,
}

#[derive(Deserialize)]
struct Invoice {
    id: u64,
    /// "2026-12-01T00:00:00".
    date: String,
}

#[derive(Deserialize)]
struct Item {
    label: String,
    amount: serde_json::Number,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

/// The day of a Linode time ("2026-12-01T00:00:00", no zone).
fn day_of(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

impl AkamaiCollector {
    pub(crate) fn new(config: &AccountConfig, http: HttpClient) -> Result<Self, ConfigError> {
        let AccountConfig::Akamai { token, base_url } = config else {
            return Err(ConfigError::new("kind", "not an akamai account"));
        };
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            token: token.clone(),
            sites: KnownSites::default(),
        })
    }

    /// Every page of a list.
    async fn list<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        filter: Option<&str>,
        what: &str,
    ) -> Result<Vec<T>, CollectError> {
        let mut all = Vec::new();
        let mut page = 1;
        loop {
            let url = format!("{}{path}?page={page}&page_size={PAGE_SIZE}", self.base_url);
            let response = fetch::send(&self.http, &Linode, || {
                let call = Call::get(url.clone()).bearer(self.token.expose())?;
                match filter {
                    Some(filter) => call.header("x-filter", filter),
                    None => Ok(call),
                }
            })
            .await?;
            let answer: Page<T> = fetch::json(&Linode, what, &response)?;
            all.extend(answer.data);
            if answer.page >= answer.pages {
                break;
            }
            page = answer.page + 1;
        }
        Ok(all)
    }

    async fn collect_days(&self, days: DateRange) -> Result<Vec<CostRecord>, CollectError> {
        let sites = self.sites.get();
        // An invoice bills the month before its date, so any invoice with lines in the
        // range is dated on or after its first day.
        let filter = json!({ "date": { "+gte": format!("{}T00:00:00", days.start) } }).to_string();
        let invoices: Vec<Invoice> = self.list("/v4/account/invoices", Some(&filter), "invoice list").await?;
        let mut records = Vec::new();
        for invoice in invoices {
            let invoice_day = day_of(&invoice.date).ok_or_else(|| {
                CollectError::Malformed(format!("Linode API: the invoice date {:?} is not a date", invoice.date))
            })?;
            let items: Vec<Item> =
                self.list(&format!("/v4/account/invoices/{}/items", invoice.id), None, "invoice items").await?;
            for item in items {
                let from = item.from.as_deref().and_then(day_of).unwrap_or(invoice_day);
                let to = item.to.as_deref().and_then(day_of).unwrap_or(from);
                if !days.overlaps(from, to) {
                    continue;
                }
                records.push(record(item, from, &sites)?);
            }
        }
        Ok(merge(records))
    }
}

fn record(item: Item, day: NaiveDate, sites: &[uuid::Uuid]) -> Result<CostRecord, CollectError> {
    let amount_micros =
        crate::decimal::number_micros(&item.amount).map_err(|e| CollectError::Malformed(format!("Linode API: {e}")))?;
    // A label reads "<product> - <resource> …" ("Linode 2GB - shop-1a2b3c4d (1234)").
    let service = item.label.split(" - ").next().unwrap_or(&item.label).trim().to_string();
    Ok(CostRecord {
        site: resolve_site(None, &[&item.label], sites),
        resource_type: classify(&[&service, &item.label]),
        service,
        region: item.region.unwrap_or_default(),
        resource_id: item.label,
        day,
        granularity: Granularity::Monthly,
        source: Source::Invoiced,
        amount_micros,
        currency: "USD".into(),
    })
}

impl Collector for AkamaiCollector {
    fn kind(&self) -> &'static str {
        "akamai"
    }

    fn collect<'a>(&'a self, days: DateRange) -> BoxFuture<'a, Result<Vec<CostRecord>, CollectError>> {
        Box::pin(self.collect_days(days))
    }

    fn set_sites(&self, sites: &[uuid::Uuid]) {
        self.sites.set(sites);
    }
}
