//! Paging shared by list RPCs: page sizes with a default and a cap, and opaque page
//! tokens that encode the last row's sort key, so pages stay stable while rows are
//! inserted. Short, name-ordered configuration lists (receivers, policies) page by
//! offset instead ([`offset_page`]): they change by hand, rarely, and have no time key.

use base64::Engine as _;
use canopy_sdk::proto::canopy::common::v1::{PageRequest, PageResponse};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ApiError;

/// Page size when the request leaves it at 0.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// Largest page served.
pub const MAX_PAGE_SIZE: i64 = 500;

/// The requested page size, defaulted and checked.
pub fn page_size(requested: i32) -> Result<i64, ApiError> {
    match requested {
        0 => Ok(DEFAULT_PAGE_SIZE),
        n if n < 0 => Err(ApiError::invalid("page.page_size", "must not be negative")),
        n => Ok(i64::from(n).min(MAX_PAGE_SIZE)),
    }
}

/// Where the next page starts: after (`time`, `id`) in (time desc, id desc) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCursor {
    pub time: DateTime<Utc>,
    pub id: Uuid,
}

impl PageCursor {
    pub fn encode(&self) -> String {
        let raw = format!("{}|{}", self.time.timestamp_micros(), self.id);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    /// `None` for the first page; an error naming `page.page_token` when malformed.
    pub fn decode(token: &str) -> Result<Option<Self>, ApiError> {
        if token.is_empty() {
            return Ok(None);
        }
        let invalid = || ApiError::invalid("page.page_token", "is not a token this list returned");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        let raw = String::from_utf8(raw).map_err(|_| invalid())?;
        let (micros, id) = raw.split_once('|').ok_or_else(invalid)?;
        let time = micros.parse().ok().and_then(DateTime::from_timestamp_micros).ok_or_else(invalid)?;
        let id = id.parse().map_err(|_| invalid())?;
        Ok(Some(Self { time, id }))
    }
}

/// Finishes a page fetched with `limit + 1` rows: trims it to `limit` and returns the
/// token of the next page, empty when these were the last rows.
pub fn finish_page<T>(rows: &mut Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> PageCursor) -> String {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() <= limit {
        return String::new();
    }
    rows.truncate(limit);
    rows.last().map(|row| cursor_of(row).encode()).unwrap_or_default()
}

/// (limit, offset) of a page of a short, name-ordered configuration list; the token is
/// the offset [`finish_offset_page`] returned.
pub fn offset_page(page: Option<PageRequest>) -> Result<(i64, i64), ApiError> {
    let page = page.unwrap_or_default();
    let limit = page_size(page.page_size)?;
    let offset = if page.page_token.is_empty() {
        0
    } else {
        page.page_token
            .parse()
            .ok()
            .filter(|offset: &i64| *offset >= 0)
            .ok_or_else(|| ApiError::invalid("page.page_token", "is not a token this list returned"))?
    };
    Ok((limit, offset))
}

/// Trims rows fetched with `limit + 1` at `offset` and answers the next page (its
/// token empty when these were the last rows; no total).
pub fn finish_offset_page<T>(rows: &mut Vec<T>, limit: i64, offset: i64) -> Option<PageResponse> {
    let next_page_token = if rows.len() as i64 > limit {
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        (offset + limit).to_string()
    } else {
        String::new()
    };
    Some(PageResponse { next_page_token, total_size: -1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let cursor =
            PageCursor { time: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(), id: Uuid::new_v4() };
        assert_eq!(PageCursor::decode(&cursor.encode()).unwrap(), Some(cursor));
        assert_eq!(PageCursor::decode("").unwrap(), None);
        for junk in ["%%%", "bm90IGEgdG9rZW4", "MTIzfG5vdC1hLXV1aWQ"] {
            let error = PageCursor::decode(junk).unwrap_err();
            assert!(matches!(error, ApiError::InvalidArgument(ref v) if v[0].field == "page.page_token"), "{junk}");
        }
        assert!(page_size(-1).is_err());
        assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(10_000).unwrap(), MAX_PAGE_SIZE);
    }

    #[test]
    fn a_page_with_an_extra_row_gets_a_next_token_and_loses_the_extra_row() {
        let at = |n: i64| PageCursor { time: DateTime::from_timestamp(n, 0).unwrap(), id: Uuid::nil() };
        let mut rows = vec![1, 2, 3];
        let token = finish_page(&mut rows, 2, |n| at(*n));
        assert_eq!(rows, [1, 2]);
        assert_eq!(PageCursor::decode(&token).unwrap(), Some(at(2)));
        let mut last = vec![1, 2];
        assert_eq!(finish_page(&mut last, 2, |n| at(*n)), "");
        assert_eq!(last, [1, 2]);
    }
}
