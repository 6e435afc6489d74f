//! OAuth 2.0 access tokens (Azure's client credentials, Google's service-account JWT
//! bearer grant), fetched once and reused until a minute before they expire. A token
//! endpoint refusing the client (400 `invalid_client`/`invalid_grant`, 401) is
//! [`CollectError::Refused`]: the credentials are wrong, not the request.

use std::time::{Duration, Instant};

use canopy_kit::http::{HttpClient, HttpResponse};
use http::StatusCode;
use serde::Deserialize;

use crate::CollectError;
use crate::fetch::{self, Call, Dialect, Verdict};
use crate::secret::Secret;

/// A token is renewed when less than this is left.
const RENEW_BEFORE: Duration = Duration::from_secs(60);

/// A token endpoint's answer (RFC 6749 §5.1). `expires_in` is a number, or a string in
/// some of Microsoft's answers.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// The token of one set of credentials.
#[derive(Default)]
pub(crate) struct TokenCache {
    slot: tokio::sync::Mutex<Option<(Secret, Instant)>>,
}

impl TokenCache {
    /// The cached token, or a new one from the endpoint (`form` is the grant's body).
    pub async fn token(
        &self,
        http: &HttpClient,
        endpoint: &TokenEndpoint,
        form: impl Fn() -> Result<String, CollectError>,
    ) -> Result<Secret, CollectError> {
        let mut slot = self.slot.lock().await;
        if let Some((token, until)) = slot.as_ref()
            && Instant::now() + RENEW_BEFORE < *until
        {
            return Ok(token.clone());
        }
        let response = fetch::send(http, endpoint, || {
            Ok(Call::post(endpoint.url.clone(), "application/x-www-form-urlencoded", form()?))
        })
        .await?;
        let answer: TokenAnswer = fetch::json(endpoint, "token answer", &response)?;
        if answer.access_token.is_empty() {
            return Err(CollectError::Malformed(format!("{}: the token answer has no access_token", endpoint.name)));
        }
        let lifetime = answer
            .expires_in
            .and_then(|value| match value {
                serde_json::Value::Number(n) => n.as_u64(),
                serde_json::Value::String(s) => s.parse().ok(),
                _ => None,
            })
            .unwrap_or(300);
        let token = Secret::new(answer.access_token);
        *slot = Some((token.clone(), Instant::now() + Duration::from_secs(lifetime)));
        Ok(token)
    }

    /// Drops the cached token (the API refused it).
    pub async fn forget(&self) {
        *self.slot.lock().await = None;
    }
}

/// A token endpoint and how its refusals read.
pub(crate) struct TokenEndpoint {
    pub name: &'static str,
    pub url: String,
}

impl Dialect for TokenEndpoint {
    fn name(&self) -> &'static str {
        self.name
    }

    fn verdict(&self, response: &HttpResponse) -> Verdict {
        // RFC 6749 §5.2: a refused client or grant is a 400 with `error`.
        if response.status == StatusCode::BAD_REQUEST {
            let error = serde_json::from_slice::<serde_json::Value>(&response.body)
                .ok()
                .and_then(|body| body.get("error").and_then(|e| e.as_str()).map(str::to_string))
                .unwrap_or_default();
            if matches!(error.as_str(), "invalid_client" | "invalid_grant" | "unauthorized_client" | "invalid_scope") {
                return Verdict::Refused;
            }
        }
        fetch::standard_verdict(response, fetch::retry_after(response))
    }
}

/// `application/x-www-form-urlencoded` of `pairs`.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(name, value)| format!("{}={}", encode(name), encode(value))).collect::<Vec<_>>().join("&")
}

/// Percent-encoding for form values and query parameters: everything but RFC 3986's
/// unreserved characters.
pub(crate) fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, UNRESERVED_COMPLEMENT).to_string()
}

pub(crate) const UNRESERVED_COMPLEMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
