//! Outgoing webhooks: signing per the Standard Webhooks specification, and a small
//! HTTP/1.1 client for delivering them (https with the Web PKI's roots, or plain
//! http where a caller allows it), shared by the audit service's SIEM streaming
//! and the alerts service's receivers.
//!
//! Standard Webhooks: the secret is `whsec_` + base64 of its key bytes; a delivery
//! carries `webhook-id` (the same on every retry), `webhook-timestamp` (Unix
//! seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, Mac as _};
use http::{HeaderMap, HeaderValue, Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use sha2::Sha256;
use tokio::net::TcpStream;

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> String {
    let key: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(key))
}

/// Why a secret cannot sign.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a signing secret is `whsec_` followed by base64")]
pub struct BadSecret;

/// The `webhook-signature` value for one delivery.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, BadSecret> {
    let key = secret.strip_prefix(SECRET_PREFIX).ok_or(BadSecret)?;
    let key = base64::engine::general_purpose::STANDARD.decode(key).map_err(|_| BadSecret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| BadSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())))
}

/// The three Standard Webhooks headers of a delivery.
pub fn signed_headers(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<HeaderMap, BadSecret> {
    let mut headers = HeaderMap::new();
    let value = |text: String| HeaderValue::from_str(&text).map_err(|_| BadSecret);
    headers.insert("webhook-id", value(id.to_string())?);
    headers.insert("webhook-timestamp", value(timestamp.to_string())?);
    headers.insert("webhook-signature", value(signature(secret, id, timestamp, body)?)?);
    Ok(headers)
}

/// What a delivery got back.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl HttpResponse {
    /// A `Retry-After` given in seconds (Slack's 429s), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        let seconds = self.headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok()?;
        Some(Duration::from_secs(seconds))
    }
}

/// Why a delivery got no answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0} is not an http or https URL")]
    BadUrl(String),
    #[error("cannot connect to {host}: {reason}")]
    Connect { host: String, reason: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Protocol(String),
}

/// A minimal HTTP/1.1 client: one connection per request, a deadline on the whole
/// exchange, responses read up to 64 KiB.
#[derive(Clone)]
pub struct HttpClient {
    timeout: Duration,
    tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient").field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

/// Largest response body read.
const MAX_RESPONSE: usize = 64 * 1024;

impl HttpClient {
    /// A client trusting the Web PKI's roots.
    pub fn new(timeout: Duration) -> Self {
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        Self::with_roots(timeout, roots)
    }

    /// A client trusting `roots` (tests' own certificate authorities).
    pub fn with_roots(timeout: Duration, roots: rustls::RootCertStore) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self { timeout, tls: Arc::new(tls) }
    }

    /// POSTs `body` to `url` with `headers` (plus `content-type`).
    pub async fn post(
        &self,
        url: &str,
        content_type: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<HttpResponse, HttpError> {
        tokio::time::timeout(self.timeout, self.exchange(url, content_type, headers, body))
            .await
            .map_err(|_| HttpError::Timeout(self.timeout))?
    }

    async fn exchange(
        &self,
        url: &str,
        content_type: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<HttpResponse, HttpError> {
        let uri: Uri = url.parse().map_err(|_| HttpError::BadUrl(url.to_string()))?;
        let secure = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(HttpError::BadUrl(url.to_string())),
        };
        let host = uri.host().ok_or_else(|| HttpError::BadUrl(url.to_string()))?.to_string();
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let connect = |reason: String| HttpError::Connect { host: host.clone(), reason };
        let bare_host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        let tcp = TcpStream::connect((bare_host.as_str(), port)).await.map_err(|e| connect(e.to_string()))?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
        let authority = uri.authority().map(|a| a.to_string()).unwrap_or_else(|| host.clone());
        let mut request = Request::post(path)
            .header(http::header::HOST, authority)
            .header(http::header::CONTENT_TYPE, content_type)
            .header(http::header::USER_AGENT, "Canopy-Webhooks/1")
            .body(Full::new(body))
            .map_err(|e| HttpError::Protocol(e.to_string()))?;
        request.headers_mut().extend(headers);
        if secure {
            let name = ServerName::try_from(bare_host.clone()).map_err(|_| HttpError::BadUrl(url.to_string()))?;
            let connector = tokio_rustls::TlsConnector::from(self.tls.clone());
            let stream = connector.connect(name, tcp).await.map_err(|e| connect(e.to_string()))?;
            send(TokioIo::new(stream), request).await
        } else {
            send(TokioIo::new(tcp), request).await
        }
    }
}

async fn send<IO>(io: IO, request: Request<Full<Bytes>>) -> Result<HttpResponse, HttpError>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let protocol = |e: hyper::Error| HttpError::Protocol(e.to_string());
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await.map_err(protocol)?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let response = sender.send_request(request).await.map_err(protocol)?;
    let (parts, body) = response.into_parts();
    let body =
        Limited::new(body, MAX_RESPONSE).collect().await.map(|collected| collected.to_bytes()).unwrap_or_default();
    Ok(HttpResponse { status: parts.status, headers: parts.headers, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification (spec/standard-webhooks.md).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(signature(secret, id, 1614265330, body).unwrap(), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert_eq!(signature("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, 1, body), Err(BadSecret));
        assert!(new_secret().starts_with(SECRET_PREFIX));
    }
}
