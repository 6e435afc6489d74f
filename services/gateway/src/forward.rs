//! The terminal service: forwards an admitted request to its owning service over
//! the mesh and returns the upstream's response as it streams, without decoding a
//! single message. tonic's `Channel` is an HTTP/2 client for any
//! `http::Request<tonic::body::Body>`, so request and response bodies (unary,
//! server-, client- and bidi-streaming) and trailers pass through untouched; when
//! the client goes away, dropping the response drops the upstream stream, which
//! resets it, so the service sees the cancellation.
//!
//! What changes on the way: hop-by-hop headers and mesh-internal `l5d-*` headers
//! are dropped; `x-forwarded-for` carries exactly the client address; `traceparent` carries
//! the trace (the caller's, or the one the gateway started). `authorization` and
//! `grpc-timeout` pass through so services verify the caller again and see the
//! caller's deadline.

use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use canopy_kit::peers::Peers;
use canopy_kit::telemetry::TraceContext;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, Version};
use http_body::{Body, Frame};
use tonic::Status;
use tower::{Service, ServiceExt};

use crate::route::{ClientAddress, RouteTarget, not_served, too_large};

/// Forwards to the upstream named by the request's [`RouteTarget`].
#[derive(Clone)]
pub struct Forward {
    upstreams: Peers,
    max_message_bytes: usize,
}

impl Forward {
    /// Forwards over `upstreams`' pooled channels (one per service, opened lazily
    /// as the gateway workload and shared by every call: HTTP/2 multiplexes them).
    pub fn new(upstreams: Peers, max_message_bytes: usize) -> Self {
        Self { upstreams, max_message_bytes }
    }
}

impl<B> Service<Request<B>> for Forward
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let forward = self.clone();
        Box::pin(async move { Ok(forward.forward(request).await.unwrap_or_else(|status| status.into_http())) })
    }
}

impl Forward {
    async fn forward<B>(self, request: Request<B>) -> Result<Response<tonic::body::Body>, Status>
    where
        B: Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        let (Some(target), Some(ClientAddress(client))) =
            (parts.extensions.get::<RouteTarget>(), parts.extensions.get::<ClientAddress>().copied())
        else {
            return Err(not_served());
        };
        let channel = self.upstreams.channel(&target.upstream).await?;

        let mut headers = parts.headers;
        strip_hop_by_hop(&mut headers);
        set_forwarded_for(&mut headers, client);
        if let Some(context) = parts.extensions.get::<TraceContext>()
            && let Ok(value) = HeaderValue::from_str(&context.traceparent)
        {
            headers.insert("traceparent", value);
        }

        let exceeded = Arc::new(AtomicBool::new(false));
        let body = MessageLimitBody::new(body, self.max_message_bytes, exceeded.clone());
        let mut upstream_request = Request::new(tonic::body::Body::new(body));
        *upstream_request.method_mut() = parts.method;
        *upstream_request.uri_mut() = parts.uri;
        *upstream_request.version_mut() = Version::HTTP_2;
        *upstream_request.headers_mut() = headers;

        let result = channel.oneshot(upstream_request).await;
        // The limit tripping resets the upstream stream; whatever the upstream made
        // of that, the caller learns the real reason.
        if exceeded.load(Ordering::SeqCst) {
            return Err(too_large(
                "MESSAGE_TOO_LARGE",
                format!("a request message exceeds the limit of {} bytes", self.max_message_bytes),
            ));
        }
        match result {
            Ok(response) => Ok(response),
            Err(status) => {
                tracing::warn!(upstream = %target.upstream, error = %status.message(), "upstream call failed");
                Err(status)
            }
        }
    }
}

/// Headers that describe one connection, not the request.
const HOP_BY_HOP: [HeaderName; 6] = [
    header::CONNECTION,
    header::HOST,
    header::PROXY_AUTHORIZATION,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    HeaderName::from_static("keep-alive"),
];

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
    headers.remove("proxy-connection");
    headers.remove("http2-settings");
    // `te` may only say "trailers" in HTTP/2, which gRPC needs.
    headers.insert(header::TE, HeaderValue::from_static("trailers"));
    // Only the gateway's own lookups may carry this marker (services let the
    // gateway call internal credential methods with it).
    headers.remove(canopy_kit::auth::CREDENTIAL_LOOKUP_HEADER);
    // Linkerd's proxy sets l5d-* inside the mesh; a client must not pose as it.
    let internal: Vec<HeaderName> = headers.keys().filter(|name| name.as_str().starts_with("l5d-")).cloned().collect();
    for name in internal {
        headers.remove(name);
    }
}

fn set_forwarded_for(headers: &mut HeaderMap, client: IpAddr) {
    // Exactly one entry, the address the gateway determined (the TCP peer, or the
    // trusted proxy's last entry): services read the first entry, which a client
    // could otherwise write itself.
    if let Ok(value) = HeaderValue::from_str(&client.to_string()) {
        headers.insert("x-forwarded-for", value);
    }
}

/// Where the reader is in the gRPC framing: each message is a 1-byte flag, a 4-byte
/// big-endian length, then that many bytes.
#[derive(Debug, Clone, Copy)]
enum FrameCursor {
    Prefix { read: usize, bytes: [u8; 5] },
    Message { remaining: usize },
}

/// A request body that watches the gRPC length prefixes go by and fails the stream
/// as soon as one announces a message over the limit, before its bytes are sent on.
/// Messages are never decoded or copied.
pub struct MessageLimitBody<B> {
    inner: B,
    max_message_bytes: usize,
    cursor: FrameCursor,
    exceeded: Arc<AtomicBool>,
}

impl<B> MessageLimitBody<B> {
    pub fn new(inner: B, max_message_bytes: usize, exceeded: Arc<AtomicBool>) -> Self {
        Self { inner, max_message_bytes, cursor: FrameCursor::Prefix { read: 0, bytes: [0; 5] }, exceeded }
    }

    /// Advances over `data`; `false` once a prefix announces an oversized message.
    fn admit(&mut self, mut data: &[u8]) -> bool {
        while !data.is_empty() {
            match &mut self.cursor {
                FrameCursor::Prefix { read, bytes } => {
                    let take = (5 - *read).min(data.len());
                    bytes[*read..*read + take].copy_from_slice(&data[..take]);
                    *read += take;
                    data = &data[take..];
                    if *read == 5 {
                        let length = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
                        if length > self.max_message_bytes {
                            return false;
                        }
                        self.cursor = if length == 0 {
                            FrameCursor::Prefix { read: 0, bytes: [0; 5] }
                        } else {
                            FrameCursor::Message { remaining: length }
                        };
                    }
                }
                FrameCursor::Message { remaining } => {
                    let take = (*remaining).min(data.len());
                    *remaining -= take;
                    data = &data[take..];
                    if *remaining == 0 {
                        self.cursor = FrameCursor::Prefix { read: 0, bytes: [0; 5] };
                    }
                }
            }
        }
        true
    }
}

impl<B> Body for MessageLimitBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if self.exceeded.load(Ordering::SeqCst) {
            return Poll::Ready(Some(Err(Status::resource_exhausted("request message too large"))));
        }
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref()
                    && !self.admit(data)
                {
                    self.exceeded.store(true, Ordering::SeqCst);
                    return Poll::Ready(Some(Err(Status::resource_exhausted("request message too large"))));
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(Status::from_error(error.into())))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(max: usize) -> MessageLimitBody<()> {
        MessageLimitBody::new((), max, Arc::new(AtomicBool::new(false)))
    }

    fn frame(length: u32) -> Vec<u8> {
        let mut bytes = vec![0];
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend(std::iter::repeat_n(7u8, length as usize));
        bytes
    }

    #[test]
    fn messages_within_the_limit_pass_in_any_chunking() {
        let stream: Vec<u8> = [frame(3), frame(0), frame(10)].concat();
        for chunk in 1..stream.len() {
            let mut limit = body(10);
            assert!(stream.chunks(chunk).all(|c| limit.admit(c)), "chunk size {chunk}");
        }
    }

    #[test]
    fn a_prefix_announcing_too_much_is_refused_even_split_across_chunks() {
        let stream: Vec<u8> = [frame(3), frame(11)].concat();
        for chunk in 1..stream.len() {
            let mut limit = body(10);
            assert!(!stream.chunks(chunk).all(|c| limit.admit(c)), "chunk size {chunk}");
        }
    }
}
