//! A small outgoing HTTP/1.1 client (https with the Web PKI's roots, or plain http
//! where a caller allows it): one connection per request, a deadline on the whole
//! exchange, and a cap on the response body read. The audit service's SIEM streaming
//! and the alerts service's receivers deliver webhooks with it ([`HttpClient::post`],
//! 64 KiB answers); the cost collectors read billing APIs with it ([`HttpClient::send`]
//! with a larger cap, since a page of billing data can be megabytes).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;

/// What a server answered.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl HttpResponse {
    /// A `Retry-After` given in seconds (Slack's 429s, most APIs), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        let seconds = self.headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok()?;
        Some(Duration::from_secs(seconds))
    }
}

/// Why a request got no (usable) answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0} is not an http or https URL")]
    BadUrl(String),
    #[error("cannot connect to {host}: {reason}")]
    Connect { host: String, reason: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    Protocol(String),
}

/// A minimal HTTP/1.1 client: one connection per request, a deadline on the whole
/// exchange, responses read up to a cap (64 KiB unless [`HttpClient::with_max_response`]).
#[derive(Clone)]
pub struct HttpClient {
    timeout: Duration,
    max_response: usize,
    tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("timeout", &self.timeout)
            .field("max_response", &self.max_response)
            .finish_non_exhaustive()
    }
}

/// The default largest response body read.
pub const DEFAULT_MAX_RESPONSE: usize = 64 * 1024;

/// Whether an answer larger than the cap is an error ([`HttpClient::send`]) or read as
/// an empty body ([`HttpClient::post`], whose callers only look at the status).
#[derive(Clone, Copy)]
enum Oversize {
    Refuse,
    Empty,
}

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
        Self { timeout, max_response: DEFAULT_MAX_RESPONSE, tls: Arc::new(tls) }
    }

    /// The same client reading answers up to `bytes`.
    pub fn with_max_response(mut self, bytes: usize) -> Self {
        self.max_response = bytes;
        self
    }

    /// The deadline on one exchange.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs `body` to `url` with `headers` (plus `content-type`). An answer over the cap
    /// is read as an empty body: webhook deliveries only look at the status.
    pub async fn post(
        &self,
        url: &str,
        content_type: &str,
        mut headers: HeaderMap,
        body: Bytes,
    ) -> Result<HttpResponse, HttpError> {
        let value = http::HeaderValue::from_str(content_type)
            .map_err(|_| HttpError::Protocol(format!("{content_type:?} is not a header value")))?;
        headers.insert(http::header::CONTENT_TYPE, value);
        if !headers.contains_key(http::header::USER_AGENT) {
            headers.insert(http::header::USER_AGENT, http::HeaderValue::from_static("Canopy-Webhooks/1"));
        }
        self.deadline(self.exchange(Method::POST, url, headers, Some(body), Oversize::Empty)).await
    }

    /// Sends one request: `method` to `url` with `headers` and an optional `body`. An
    /// answer larger than the cap is [`HttpError::TooLarge`].
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Option<Bytes>,
    ) -> Result<HttpResponse, HttpError> {
        self.deadline(self.exchange(method, url, headers, body, Oversize::Refuse)).await
    }

    async fn deadline(
        &self,
        exchange: impl Future<Output = Result<HttpResponse, HttpError>>,
    ) -> Result<HttpResponse, HttpError> {
        tokio::time::timeout(self.timeout, exchange).await.map_err(|_| HttpError::Timeout(self.timeout))?
    }

    async fn exchange(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Option<Bytes>,
        oversize: Oversize,
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
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, authority)
            .header(http::header::USER_AGENT, "Canopy/1")
            .body(Full::new(body.unwrap_or_default()))
            .map_err(|e| HttpError::Protocol(e.to_string()))?;
        // The caller's headers win (a caller may sign its own Host or User-Agent).
        for name in headers.keys() {
            request.headers_mut().remove(name);
            for value in headers.get_all(name) {
                request.headers_mut().append(name, value.clone());
            }
        }
        let limit = self.max_response;
        if secure {
            let name = ServerName::try_from(bare_host.clone()).map_err(|_| HttpError::BadUrl(url.to_string()))?;
            let connector = tokio_rustls::TlsConnector::from(self.tls.clone());
            let stream = connector.connect(name, tcp).await.map_err(|e| connect(e.to_string()))?;
            exchange_on(TokioIo::new(stream), request, limit, oversize).await
        } else {
            exchange_on(TokioIo::new(tcp), request, limit, oversize).await
        }
    }
}

async fn exchange_on<IO>(
    io: IO,
    request: Request<Full<Bytes>>,
    limit: usize,
    oversize: Oversize,
) -> Result<HttpResponse, HttpError>
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
    let body = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => match oversize {
            Oversize::Empty => Bytes::new(),
            Oversize::Refuse if error.is::<http_body_util::LengthLimitError>() => {
                return Err(HttpError::TooLarge(limit));
            }
            Oversize::Refuse => return Err(HttpError::Protocol(error.to_string())),
        },
    };
    Ok(HttpResponse { status: parts.status, headers: parts.headers, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// A one-shot server answering `answer` to the first request and returning what it read.
    async fn one_shot(answer: Vec<u8>) -> (String, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut received = Vec::new();
            let mut buffer = [0u8; 4096];
            loop {
                let read = stream.read(&mut buffer).await.unwrap();
                received.extend_from_slice(&buffer[..read]);
                if read == 0 || received.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            stream.write_all(&answer).await.unwrap();
            stream.shutdown().await.ok();
            String::from_utf8_lossy(&received).into_owned()
        });
        (url, task)
    }

    #[tokio::test]
    async fn sends_a_get_with_the_callers_headers() {
        let (url, server) = one_shot(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello".to_vec()).await;
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer t".parse().unwrap());
        let client = HttpClient::new(Duration::from_secs(5));
        let response = client.send(Method::GET, &format!("{url}/v2/things?page=2"), headers, None).await.unwrap();
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(&response.body[..], b"hello");
        let received = server.await.unwrap();
        assert!(received.starts_with("GET /v2/things?page=2 HTTP/1.1\r\n"), "{received}");
        assert!(received.to_ascii_lowercase().contains("authorization: bearer t"), "{received}");
    }

    #[tokio::test]
    async fn refuses_an_answer_over_the_cap_on_send_and_empties_it_on_post() {
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n0123456789".to_vec();
        let client = HttpClient::new(Duration::from_secs(5)).with_max_response(4);
        let (url, _server) = one_shot(answer.clone()).await;
        let error = client.send(Method::GET, &url, HeaderMap::new(), None).await.unwrap_err();
        assert!(matches!(error, HttpError::TooLarge(4)), "{error:?}");
        let (url, _server) = one_shot(answer).await;
        let response =
            client.post(&url, "application/json", HeaderMap::new(), Bytes::from_static(b"{}")).await.unwrap();
        assert_eq!(response.status, StatusCode::OK);
        assert!(response.body.is_empty());
    }
}
