//! Logs, traces and metrics.
//!
//! * JSON log lines; inside a request every line carries the request's `trace_id`
//!   (from the caller's W3C `traceparent`, or a new one).
//! * OpenTelemetry spans exported over OTLP/gRPC when `telemetry.otlp_endpoint` is set.
//! * Prometheus metrics: RED metrics per RPC from [`RpcTelemetryLayer`], rendered by
//!   [`render_metrics`] on the operations endpoint.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::future::BoxFuture;
use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tower::Service;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::config::{LogFormat, TelemetryConfig};
use crate::middleware::{Middleware, MiddlewareLayer};

/// Keeps the trace exporter alive; dropping it flushes pending spans.
pub struct TelemetryGuard {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            let _ = provider.shutdown();
        }
    }
}

/// Why telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("telemetry.log_filter: {0}")]
    Filter(String),
    #[error("telemetry.otlp_endpoint: {0}")]
    Otlp(String),
}

/// Installs the global subscriber (once per process; later calls only keep the
/// first) and the metrics recorder.
pub fn init(config: &TelemetryConfig, service_name: &str) -> Result<TelemetryGuard, TelemetryError> {
    metrics_handle();
    let filter = EnvFilter::try_new(&config.log_filter).map_err(|e| TelemetryError::Filter(e.to_string()))?;
    let fmt = match config.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer().with_writer(std::io::stderr).boxed(),
    };
    let mut provider = None;
    let otel = if config.otlp_endpoint.is_empty() {
        None
    } else {
        use opentelemetry_otlp::WithExportConfig;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(config.otlp_endpoint.clone())
            .build()
            .map_err(|e| TelemetryError::Otlp(e.to_string()))?;
        let resource = opentelemetry_sdk::Resource::builder().with_service_name(service_name.to_string()).build();
        let tracer_provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build();
        let tracer = tracer_provider.tracer("canopy");
        provider = Some(tracer_provider);
        Some(tracing_opentelemetry::layer().with_tracer(tracer))
    };
    // A second init in the same process (tests, several services) keeps the first.
    let _ = tracing_subscriber::registry().with(filter).with(fmt).with(otel).try_init();
    Ok(TelemetryGuard { provider })
}

/// The process-wide Prometheus recorder.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
            .expect("static buckets are valid")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed by an embedding program; we still
        // render ours, which then stays empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The Prometheus text exposition of every metric.
pub fn render_metrics() -> String {
    metrics_handle().render()
}

/// A W3C trace context: `traceparent: 00-<trace-id>-<parent-id>-<flags>`.
#[derive(Debug, Clone)]
pub struct TraceContext {
    pub trace_id: String,
    pub traceparent: String,
}

impl TraceContext {
    /// The caller's context when its `traceparent` is well-formed, else a new trace.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        headers.get("traceparent").and_then(|v| v.to_str().ok()).and_then(Self::parse).unwrap_or_else(Self::new_trace)
    }

    /// A well-formed W3C `traceparent` (version 00, non-zero trace id).
    pub fn parse(value: &str) -> Option<Self> {
        let parts: Vec<&str> = value.split('-').collect();
        let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        let valid = parts.len() == 4
            && parts[0] == "00"
            && hex(parts[1], 32)
            && hex(parts[2], 16)
            && hex(parts[3], 2)
            && parts[1] != "0".repeat(32);
        valid.then(|| Self { trace_id: parts[1].to_ascii_lowercase(), traceparent: value.to_ascii_lowercase() })
    }

    /// A new trace, for work no caller started (jobs, workers).
    pub fn new_trace() -> Self {
        // The thread's CSPRNG, not Uuid::new_v4: that asks the OS (a getrandom system
        // call) each time, and the gateway makes ids on every call. Never all zeros,
        // which W3C trace context reserves for "invalid".
        let trace_id = format!("{:032x}", rand::random::<u128>().max(1));
        Self { traceparent: format!("00-{trace_id}-{}-01", new_span_id()), trace_id }
    }

    /// The `traceparent` of a call made from this context: same trace, a new span.
    pub fn child_traceparent(&self) -> String {
        let flags = self.traceparent.rsplit('-').next().unwrap_or("01");
        format!("00-{}-{}-{flags}", self.trace_id, new_span_id())
    }
}

fn new_span_id() -> String {
    format!("{:016x}", rand::random::<u64>().max(1))
}

/// What a call made while serving a request inherits from it: its trace and its
/// deadline (from the caller's `grpc-timeout`). Peer channels read it to propagate both.
#[derive(Debug, Clone)]
pub struct CallContext {
    pub trace: TraceContext,
    pub deadline: Option<Instant>,
}

tokio::task_local! {
    static CALL_CONTEXT: CallContext;
}

impl CallContext {
    /// The context of the request being served on this task, if any.
    pub fn current() -> Option<CallContext> {
        CALL_CONTEXT.try_with(Clone::clone).ok()
    }

    /// Runs `future` with this context as the current one.
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        CALL_CONTEXT.scope(self, future).await
    }
}

/// Parses a gRPC `grpc-timeout` header value (`<digits><H|M|S|m|u|n>`, at most 8 digits).
pub fn parse_grpc_timeout(value: &str) -> Option<std::time::Duration> {
    use std::time::Duration;
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.saturating_mul(3600)),
        "M" => Duration::from_secs(amount.saturating_mul(60)),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// Formats a duration as a `grpc-timeout` value (milliseconds, rounded up, or seconds
/// when milliseconds would need more than the 8 digits allowed).
pub fn format_grpc_timeout(timeout: std::time::Duration) -> String {
    let millis = timeout.as_micros().div_ceil(1000);
    if millis < 100_000_000 { format!("{millis}m") } else { format!("{}S", timeout.as_secs().min(99_999_999)) }
}

struct TraceparentExtractor<'a>(&'a str);

impl Extractor for TraceparentExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "traceparent").then_some(self.0)
    }

    fn keys(&self) -> Vec<&str> {
        vec!["traceparent"]
    }
}

/// Per-RPC span (with `trace_id`), access log line and RED metrics
/// (`canopy_rpc_requests_total`, `canopy_rpc_duration_seconds`).
#[derive(Clone)]
pub struct RpcTelemetryLayer {
    service: &'static str,
}

impl RpcTelemetryLayer {
    pub fn new(service: &'static str) -> MiddlewareLayer<Self> {
        MiddlewareLayer::new(Self { service })
    }
}

impl<S, B> Middleware<S, Request<B>> for RpcTelemetryLayer
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>> + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    fn call(&self, mut request: Request<B>, mut inner: S) -> BoxFuture<'static, Result<S::Response, S::Error>> {
        let context = TraceContext::from_headers(request.headers());
        let deadline = request
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout)
            .map(|timeout| Instant::now() + timeout);
        let call = CallContext { trace: context.clone(), deadline };
        let method = request.uri().path().to_string();
        // `principal` and `tenant` are filled in by whichever layer authenticates the
        // caller, so the "rpc finished" line doubles as the access log.
        let span = tracing::info_span!(
            "rpc",
            trace_id = %context.trace_id,
            rpc.method = %method,
            service = self.service,
            principal = tracing::field::Empty,
            tenant = tracing::field::Empty,
        );
        let parent = TraceContextPropagator::new().extract(&TraceparentExtractor(&context.traceparent));
        let _ = span.set_parent(parent);
        request.extensions_mut().insert(context);
        let service = self.service;
        let started = Instant::now();
        Box::pin(
            call.scope(
                async move {
                    let response = inner.call(request).await?;
                    let observation = Observation { service, method, started, span: tracing::Span::current() };
                    // Trailers-only responses (errors) carry grpc-status in the headers.
                    if let Some(code) = response.headers().get("grpc-status") {
                        observation.finish(code.to_str().unwrap_or("2"));
                        return Ok(response);
                    }
                    Ok(response.map(|body| {
                        tonic::body::Body::new(ObservedBody { inner: body, observation: Some(observation) })
                    }))
                }
                .instrument(span),
            ),
        )
    }
}

struct Observation {
    service: &'static str,
    method: String,
    started: Instant,
    span: tracing::Span,
}

impl Observation {
    fn finish(self, grpc_status: &str) {
        let seconds = self.started.elapsed().as_secs_f64();
        let code = code_name(grpc_status);
        metrics::counter!("canopy_rpc_requests_total", "service" => self.service, "method" => self.method.clone(), "code" => code)
            .increment(1);
        metrics::histogram!("canopy_rpc_duration_seconds", "service" => self.service, "method" => self.method.clone())
            .record(seconds);
        let _entered = self.span.enter();
        tracing::info!(code, latency_ms = seconds * 1000.0, "rpc finished");
    }
}

fn code_name(status: &str) -> &'static str {
    match status.parse::<i32>().map(tonic::Code::from_i32) {
        Ok(tonic::Code::Ok) => "OK",
        Ok(tonic::Code::Cancelled) => "CANCELLED",
        Ok(tonic::Code::InvalidArgument) => "INVALID_ARGUMENT",
        Ok(tonic::Code::DeadlineExceeded) => "DEADLINE_EXCEEDED",
        Ok(tonic::Code::NotFound) => "NOT_FOUND",
        Ok(tonic::Code::AlreadyExists) => "ALREADY_EXISTS",
        Ok(tonic::Code::PermissionDenied) => "PERMISSION_DENIED",
        Ok(tonic::Code::ResourceExhausted) => "RESOURCE_EXHAUSTED",
        Ok(tonic::Code::FailedPrecondition) => "FAILED_PRECONDITION",
        Ok(tonic::Code::Aborted) => "ABORTED",
        Ok(tonic::Code::Unimplemented) => "UNIMPLEMENTED",
        Ok(tonic::Code::Unavailable) => "UNAVAILABLE",
        Ok(tonic::Code::Unauthenticated) => "UNAUTHENTICATED",
        Ok(tonic::Code::Internal) => "INTERNAL",
        _ => "UNKNOWN",
    }
}

/// A response body that records the RPC when its trailers (or its end) pass by.
struct ObservedBody {
    inner: tonic::body::Body,
    observation: Option<Observation>,
}

impl Body for ObservedBody {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    let code = trailers.get("grpc-status").and_then(|v| v.to_str().ok()).unwrap_or("2").to_string();
                    if let Some(observation) = self.observation.take() {
                        observation.finish(&code);
                    }
                }
            }
            Poll::Ready(Some(Err(_))) | Poll::Ready(None) => {
                if let Some(observation) = self.observation.take() {
                    observation.finish("2");
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for ObservedBody {
    fn drop(&mut self) {
        // The client went away before the RPC finished.
        if let Some(observation) = self.observation.take() {
            observation.finish("1");
        }
    }
}
