//! Traces leave over OTLP/gRPC when configured, and a caller's W3C `traceparent`
//! becomes the trace of the exported span — checked against a local collector that
//! speaks the OTLP trace service.

use std::time::Duration;

use canopy_kit::testing::TestEnv;
use canopy_sdk::proto::canopy::system::v1::GetSystemInfoRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use tokio::sync::mpsc;

use crate::support::spec;

struct Collector(mpsc::UnboundedSender<ExportTraceServiceRequest>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let _ = self.0.send(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

#[tokio::test]
async fn rpc_spans_are_exported_over_otlp_in_the_caller_s_trace() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector = listener.local_addr().unwrap();
    let (tx, mut exported) = mpsc::unbounded_channel();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(Collector(tx)))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );

    // Telemetry is process-wide: install the exporting subscriber before the harness
    // installs its own (later installs keep the first).
    let telemetry = canopy_kit::config::TelemetryConfig {
        otlp_endpoint: format!("http://{collector}"),
        log_filter: "info".into(),
        ..Default::default()
    };
    let guard = canopy_kit::telemetry::init(&telemetry, "kit-otlp-test").expect("telemetry starts");

    let env = TestEnv::new().await;
    let services = env.spawn(&[&spec("identity")]).await;
    let client = services.client("identity", "canopyctl").await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let mut request = tonic::Request::new(GetSystemInfoRequest {});
    request.metadata_mut().insert("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01").parse().unwrap());
    client.system().get_system_info(request).await.expect("system info");
    services.shutdown().await;
    drop(guard); // flushes the batch

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let batch = tokio::time::timeout_at(deadline, exported.recv())
            .await
            .expect("the collector received spans within 20s")
            .expect("collector running");
        let spans = batch.resource_spans.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans);
        let found = spans
            .filter(|span| span.name == "rpc")
            .any(|span| span.trace_id.iter().map(|b| format!("{b:02x}")).collect::<String>() == trace_id);
        if found {
            let service = batch.resource_spans[0]
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|a| a.key == "service.name"))
                .map(|a| format!("{:?}", a.value));
            assert!(service.as_deref().is_some_and(|s| s.contains("kit-otlp-test")), "{service:?}");
            return;
        }
    }
}
