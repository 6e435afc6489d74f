//! A webhook endpoint for tests that follow alerts to their receiver.

use std::sync::{Arc, Mutex};

use canopy_kit::testing::TestServices;
use canopy_sdk::proto::canopy::alerts::v1 as alerts;
use canopy_sdk::proto::canopy::alerts::v1::receiver_service_client::ReceiverServiceClient;
use canopy_sdk::proto::canopy::alerts::v1::routing_service_client::RoutingServiceClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A webhook endpoint: records every body it is sent, answers 204.
pub(crate) struct Hook {
    pub(crate) url: String,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Hook {
    pub(crate) async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let shared = bodies.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let bodies = shared.clone();
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    let mut chunk = [0u8; 8192];
                    loop {
                        let Ok(read) = stream.read(&mut chunk).await else { return };
                        if read == 0 {
                            return;
                        }
                        buffer.extend_from_slice(&chunk[..read]);
                        let text = String::from_utf8_lossy(&buffer).into_owned();
                        let Some(end) = text.find("\r\n\r\n") else { continue };
                        let length = text[..end]
                            .lines()
                            .find_map(|line| {
                                line.to_ascii_lowercase().strip_prefix("content-length:").map(str::to_owned)
                            })
                            .and_then(|value| value.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if buffer.len() < end + 4 + length {
                            continue;
                        }
                        let body = &buffer[end + 4..end + 4 + length];
                        if let Ok(json) = serde_json::from_slice(body) {
                            bodies.lock().unwrap().push(json);
                        }
                        let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n").await;
                        return;
                    }
                });
            }
        });
        Self { url, bodies }
    }

    /// A hook that every alert reaches: the platform's only receiver, `name`, at the
    /// root of the routing tree, grouping by `group_by`.
    pub(crate) async fn routed(
        services: &TestServices,
        admin: &str,
        name: &str,
        group_by: &[&str],
        send_resolved: bool,
    ) -> Self {
        let hook = Self::start().await;
        let canopy = services.client("alerts", "gateway").await.with_token(admin);
        ReceiverServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
            .create_receiver(alerts::CreateReceiverRequest {
                receiver: Some(alerts::ReceiverSpec {
                    name: name.into(),
                    kind: Some(alerts::receiver_spec::Kind::Webhook(alerts::WebhookConfig { url: hook.url.clone() })),
                    send_resolved,
                }),
            })
            .await
            .unwrap();
        RoutingServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
            .replace_routing_config(alerts::ReplaceRoutingConfigRequest {
                config: Some(alerts::RoutingConfig {
                    route: Some(alerts::Route {
                        receiver: name.into(),
                        group_by: group_by.iter().map(|label| label.to_string()).collect(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
        hook
    }

    /// Every body received so far.
    pub(crate) fn bodies(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().unwrap().clone()
    }

    /// The bodies whose JSON text contains `needle`.
    pub(crate) fn containing(&self, needle: &str) -> Vec<serde_json::Value> {
        self.bodies().into_iter().filter(|body| body.to_string().contains(needle)).collect()
    }
}
