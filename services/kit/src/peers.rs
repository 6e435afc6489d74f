//! Calling other services: one pooled channel per peer, whether the peer runs in this
//! process (its loopback endpoint) or elsewhere (`mesh.peers.<service>`). Every call
//! carries the W3C `traceparent` of the request being served and what is left of its
//! deadline, and is bounded by `mesh.peer_timeout_secs`, so a peer that hangs fails
//! the call instead of holding it. Failures come back as [`ApiError`]s with the
//! peer's reason and field violations kept ([`ApiError::from_peer`]).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use canopy_sdk::Canopy;
use futures_util::future::BoxFuture;
use http::HeaderValue;
use tonic::Status;
use tonic::transport::Channel;
use tower::Service;

use crate::ApiError;
use crate::mesh::{MeshClientIdentity, WorkloadIdentity};
use crate::telemetry::{CallContext, TraceContext, format_grpc_timeout, parse_grpc_timeout};

/// Service name → listening address of the services running in this process,
/// filled in as they start.
pub type Endpoints = Arc<RwLock<BTreeMap<String, SocketAddr>>>;

/// Why a peer address was refused.
#[derive(Debug, thiserror::Error)]
pub enum PeerConfigError {
    #[error("mesh.peers.{peer}: {url:?} is not a URL with an http or https scheme and a host")]
    NotAUrl { peer: String, url: String },
    #[error("mesh.peers.{peer}: no such service (known: {known})")]
    UnknownPeer { peer: String, known: String },
    #[error(
        "service {service} calls {peer}, which does not run in this process and has no address: set mesh.peers.{peer}"
    )]
    Missing { service: String, peer: String },
}

/// Checks `mesh.peers`: every address a URL, every name a known service.
pub fn check_peer_addresses(peers: &BTreeMap<String, String>, known: &[&str]) -> Result<(), PeerConfigError> {
    for (peer, url) in peers {
        if !known.contains(&peer.as_str()) {
            return Err(PeerConfigError::UnknownPeer { peer: peer.clone(), known: known.join(", ") });
        }
        let parsed: Option<http::Uri> = url.parse().ok();
        let valid = parsed.is_some_and(|uri| {
            matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some_and(|h| !h.is_empty())
        });
        if !valid {
            return Err(PeerConfigError::NotAUrl { peer: peer.clone(), url: url.clone() });
        }
    }
    Ok(())
}

/// Channels to the other services, calling as one workload.
#[derive(Clone)]
pub struct Peers {
    inner: Arc<Inner>,
}

struct Inner {
    /// This workload's client certificate (mTLS mode); `None` in plaintext mode.
    identity: Option<MeshClientIdentity>,
    local: Endpoints,
    configured: BTreeMap<String, String>,
    namespace: String,
    trust_domain: String,
    timeout: Duration,
    /// One channel per peer, with the URL it was opened for (a local peer that
    /// restarted on another port gets a new one).
    channels: Mutex<HashMap<String, (String, Channel)>>,
}

impl Peers {
    pub fn new(
        identity: Option<MeshClientIdentity>,
        local: Endpoints,
        configured: BTreeMap<String, String>,
        namespace: &str,
        trust_domain: &str,
        timeout: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                identity,
                local,
                configured,
                namespace: namespace.into(),
                trust_domain: trust_domain.into(),
                timeout,
                channels: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Whether `peer` runs in this process or has a configured address.
    pub fn knows(&self, peer: &str) -> bool {
        self.url(peer).is_some()
    }

    /// Where `peer` is reached: in this process first, else its configured address.
    pub fn url(&self, peer: &str) -> Option<String> {
        let scheme = if self.inner.identity.is_some() { "https" } else { "http" };
        let local = self.inner.local.read().ok().and_then(|endpoints| endpoints.get(peer).copied());
        local.map(|addr| format!("{scheme}://{addr}")).or_else(|| self.inner.configured.get(peer).cloned())
    }

    /// The pooled channel to `peer`. UNAVAILABLE when it has no address.
    pub async fn channel(&self, peer: &str) -> Result<PeerChannel, ApiError> {
        let Some(url) = self.url(peer) else {
            tracing::warn!(peer, "no address known for peer");
            return Err(ApiError::Unavailable("peer service"));
        };
        let cached = {
            let channels = self.inner.channels.lock().map_err(|_| ApiError::Unavailable("peer service"))?;
            channels.get(peer).filter(|(known, _)| *known == url).map(|(_, channel)| channel.clone())
        };
        let channel = match cached {
            Some(channel) => channel,
            None => {
                // Boxed: opening is rare and its future large; inline it would be
                // copied on every call.
                let channel = Box::pin(self.open(peer, &url)).await?;
                if let Ok(mut channels) = self.inner.channels.lock() {
                    channels.insert(peer.to_string(), (url, channel.clone()));
                }
                channel
            }
        };
        Ok(PeerChannel { peer: peer.into(), channel, timeout: self.inner.timeout })
    }

    async fn open(&self, peer: &str, url: &str) -> Result<Channel, ApiError> {
        let builder = match &self.inner.identity {
            Some(identity) => Canopy::builder(url)
                .ca_certificate_pem(identity.trust_anchor_pem.clone())
                .client_identity_pem(identity.cert_pem.clone(), identity.key_pem.clone())
                .server_name(WorkloadIdentity::new(peer, &self.inner.namespace, &self.inner.trust_domain).dns_name()),
            None => Canopy::builder(url),
        };
        // Lazy: the connection is made (and remade after a failure) by the channel.
        let canopy = builder.connect_timeout(self.inner.timeout.min(Duration::from_secs(5))).lazy().connect().await;
        canopy.map(|c| c.channel()).map_err(|error| {
            tracing::warn!(peer, %error, "cannot open a channel to peer");
            ApiError::Unavailable("peer service")
        })
    }
}

/// A channel to one peer that carries the current call's trace and deadline and is
/// bounded in time. Use it wherever a generated client takes a channel.
#[derive(Clone, Debug)]
pub struct PeerChannel {
    peer: Arc<str>,
    channel: Channel,
    timeout: Duration,
}

impl PeerChannel {
    pub fn peer(&self) -> &str {
        &self.peer
    }
}

impl Service<http::Request<tonic::body::Body>> for PeerChannel {
    type Response = http::Response<tonic::body::Body>;
    type Error = Status;
    type Future = BoxFuture<'static, Result<Self::Response, Status>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        let peer = &self.peer;
        self.channel.poll_ready(cx).map_err(|error| Status::unavailable(format!("{peer} is unavailable: {error}")))
    }

    fn call(&mut self, mut request: http::Request<tonic::body::Body>) -> Self::Future {
        let peer = self.peer.clone();
        let context = CallContext::current();
        let traceparent = match &context {
            Some(context) => context.trace.child_traceparent(),
            None => TraceContext::new_trace().traceparent,
        };
        if let Ok(value) = HeaderValue::from_str(&traceparent) {
            request.headers_mut().insert("traceparent", value);
        }
        // The tightest of: the caller's remaining deadline, one the client set on this
        // request, and the peer timeout. Only a real deadline travels as grpc-timeout:
        // the peer timeout bounds the wait for an answer, not a stream's life.
        let inherited = context.and_then(|c| c.deadline).map(|d| d.saturating_duration_since(Instant::now()));
        let requested =
            request.headers().get("grpc-timeout").and_then(|v| v.to_str().ok()).and_then(parse_grpc_timeout);
        let deadline = match (inherited, requested) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(deadline) = deadline {
            if deadline.is_zero() {
                return Box::pin(async move {
                    Err(Status::deadline_exceeded(format!("the deadline passed before calling {peer}")))
                });
            }
            if let Ok(value) = HeaderValue::from_str(&format_grpc_timeout(deadline)) {
                request.headers_mut().insert("grpc-timeout", value);
            }
        }
        let wait = deadline.map_or(self.timeout, |d| d.min(self.timeout));
        let deadline_binds = deadline.is_some_and(|d| d <= self.timeout);
        let call = crate::middleware::take_ready(&mut self.channel).call(request);
        Box::pin(async move {
            match tokio::time::timeout(wait, call).await {
                Ok(Ok(response)) => Ok(response),
                Ok(Err(error)) => Err(Status::unavailable(format!("{peer} is unavailable: {error}"))),
                Err(_) if deadline_binds => {
                    Err(Status::deadline_exceeded(format!("{peer} did not answer before the deadline")))
                }
                Err(_) => Err(Status::unavailable(format!("{peer} did not answer within {wait:?}"))),
            }
        })
    }
}
