//! A small outgoing HTTP/1.1 client (https with the Web PKI's roots, or plain http
//! where a caller allows it): one connection per request, a deadline on the whole
//! exchange, and a cap on the response body read. The audit service's SIEM streaming
//! and the alerts service's receivers deliver webhooks with it ([`HttpClient::post`],
//! 64 KiB answers); the cost collectors read billing APIs with it ([`HttpClient::send`]
//! with a larger cap, since a page of billing data can be megabytes); the commerce
//! clients reach customers' stores with it behind [`HttpClient::deny_private_addresses`],
//! since a customer names the host.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
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
    /// The host is, or resolves to, an address that is not on the public internet
    /// (loopback, private, link-local, CGNAT, multicast, the cloud metadata address…),
    /// and the client was built with [`HttpClient::deny_private_addresses`].
    #[error("{host} resolves to {address}, which is not a public address")]
    PrivateAddress { host: String, address: IpAddr },
}

/// A minimal HTTP/1.1 client: one connection per request, a deadline on the whole
/// exchange, responses read up to a cap (64 KiB unless [`HttpClient::with_max_response`]).
#[derive(Clone)]
pub struct HttpClient {
    timeout: Duration,
    max_response: usize,
    tls: Arc<rustls::ClientConfig>,
    deny_private: bool,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("timeout", &self.timeout)
            .field("max_response", &self.max_response)
            .field("deny_private", &self.deny_private)
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
        Self { timeout, max_response: DEFAULT_MAX_RESPONSE, tls: Arc::new(tls), deny_private: false }
    }

    /// The same client refusing to connect to hosts that are, or resolve to, addresses
    /// that are not public ([`is_public_address`]): for URLs a customer supplies, so
    /// nobody can make Canopy call its own network (server-side request forgery). Every
    /// address the name resolves to is checked, and the connection goes to a checked
    /// address, never to a second resolution a DNS server could answer differently.
    pub fn deny_private_addresses(mut self) -> Self {
        self.deny_private = true;
        self
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
        let tcp = if self.deny_private {
            let addresses = public_addresses(&bare_host, port).await?;
            TcpStream::connect(addresses.as_slice()).await.map_err(|e| connect(e.to_string()))?
        } else {
            TcpStream::connect((bare_host.as_str(), port)).await.map_err(|e| connect(e.to_string()))?
        };
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

/// Every address `host` resolves to, when all are public; the first that is not, otherwise.
async fn public_addresses(host: &str, port: u16) -> Result<Vec<SocketAddr>, HttpError> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| HttpError::Connect { host: host.to_string(), reason: e.to_string() })?
        .collect();
    if addresses.is_empty() {
        return Err(HttpError::Connect { host: host.to_string(), reason: "the name has no addresses".into() });
    }
    // One private answer among public ones is refused too: which one a connection
    // would use is not ours to choose reliably.
    if let Some(private) = addresses.iter().find(|a| !is_public_address(a.ip())) {
        return Err(HttpError::PrivateAddress { host: host.to_string(), address: private.ip() });
    }
    Ok(addresses)
}

/// Whether `address` is on the public internet: not unspecified, loopback, private
/// (RFC 1918, IPv6 unique local), link-local (including the cloud metadata address
/// 169.254.169.254), shared CGNAT space (100.64.0.0/10), multicast, broadcast, reserved,
/// documentation or benchmarking space, nor an IPv4-mapped/NAT64 form of one of those.
pub fn is_public_address(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240; // reserved
    !special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [_, _, _, _, _, _, high, low] = segments;
        return is_public_v4(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)));
    }
    let special = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local
        || (segments[0] & 0xffc0) == 0xfe80 // link-local
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || segments[..6] == [0, 0, 0, 0, 0, 0]; // IPv4-compatible (deprecated)
    !special
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

    #[test]
    fn public_and_private_addresses() {
        let public = ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"];
        for text in public {
            assert!(is_public_address(text.parse().unwrap()), "{text} is public");
        }
        let private = [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "198.18.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ];
        for text in private {
            assert!(!is_public_address(text.parse().unwrap()), "{text} is not public");
        }
    }
}
