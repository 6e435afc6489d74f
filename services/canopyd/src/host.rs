//! Runs a set of services in this process until a shutdown signal, plus the edge
//! gateway in front of them (when selected) and the operations endpoint
//! (`/metrics`, `/healthz`). Shared by `run` and `dev`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use anyhow::Context as _;
use canopy_gateway::{Gateway, RunningGateway};
use canopy_kit::config::KitConfig;
use canopy_kit::manifest::{Registry, ServiceManifest};
use canopy_kit::peers::PeerConfigError;
use canopy_kit::server::{RunningService, SharedRuntime};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Services that are up, the gateway, and the operations endpoint.
pub struct Host {
    pub services: Vec<RunningService>,
    pub gateway: Option<RunningGateway>,
    pub ops_addr: Option<SocketAddr>,
    ops_stop: Option<watch::Sender<bool>>,
}

impl Host {
    /// Starts `selected` (in start order, from [`Registry::select`]), then the gateway
    /// when `with_gateway`. Refuses to start when a peer of any of them has no
    /// address. If one fails, those already started are stopped before the error is
    /// returned, so nothing half-started keeps running.
    pub async fn start(
        config: KitConfig,
        registry: &Registry,
        selected: &[&'static ServiceManifest],
        with_gateway: bool,
    ) -> anyhow::Result<Self> {
        let mut listen = BTreeMap::new();
        for (name, addr) in &config.listen {
            if name == canopy_gateway::WORKLOAD {
                continue;
            }
            if registry.get(name).is_none() {
                anyhow::bail!("listen.{name}: no such service");
            }
            let addr: SocketAddr =
                addr.parse().map_err(|_| anyhow::anyhow!("listen.{name}: {addr:?} is not host:port"))?;
            listen.insert(name.clone(), addr);
        }
        let ops_addr = config.telemetry.ops_addr()?;
        let runtime = SharedRuntime::connect(config).await?;
        runtime.check_peers(registry, selected)?;
        if with_gateway {
            // The edge forwards to every service.
            for manifest in registry.all() {
                if !selected.iter().any(|s| s.name == manifest.name)
                    && !runtime.config.mesh.peers.contains_key(manifest.name)
                {
                    return Err(PeerConfigError::Missing {
                        service: canopy_gateway::WORKLOAD.into(),
                        peer: manifest.name.into(),
                    }
                    .into());
                }
            }
        }
        let mut services = Vec::new();
        for manifest in selected {
            let addr = listen.get(manifest.name).copied().unwrap_or_else(|| "127.0.0.1:0".parse().expect("loopback"));
            let prerequisites = registry.prerequisites(manifest);
            match runtime.start(manifest, &prerequisites, addr).await {
                Ok(running) => services.push(running),
                Err(error) => {
                    for running in services {
                        running.shutdown().await;
                    }
                    return Err(error.into());
                }
            }
        }
        let mut host = Self { services, gateway: None, ops_addr: None, ops_stop: None };
        if with_gateway {
            match Gateway::new(&runtime).start().await {
                Ok(gateway) => host.gateway = Some(gateway),
                Err(error) => {
                    host.shutdown().await;
                    return Err(error.into());
                }
            }
        }
        if let Some(addr) = ops_addr {
            match serve_ops(addr).await {
                Ok((bound, stop)) => {
                    host.ops_addr = Some(bound);
                    host.ops_stop = Some(stop);
                }
                Err(error) => {
                    host.shutdown().await;
                    return Err(error);
                }
            }
        }
        Ok(host)
    }

    /// Service name → address.
    pub fn endpoints(&self) -> BTreeMap<&'static str, SocketAddr> {
        self.services.iter().map(|s| (s.name, s.addr)).collect()
    }

    /// The gateway's public address, when it runs here.
    pub fn gateway_addr(&self) -> Option<SocketAddr> {
        self.gateway.as_ref().map(|g| g.addr)
    }

    /// Stops everything gracefully: all report NOT_SERVING at once, one drain
    /// period passes, then the gateway stops (the front door closes first) and each
    /// service stops in reverse start order (calls finish, then its jobs stop, each
    /// bounded by `shutdown_grace_secs`).
    pub async fn shutdown(self) {
        if let Some(stop) = self.ops_stop {
            let _ = stop.send(true);
        }
        let drain = self
            .services
            .iter()
            .map(|s| s.drain_period())
            .chain(self.gateway.iter().map(|g| g.drain_period()))
            .max()
            .unwrap_or_default();
        if let Some(gateway) = &self.gateway {
            gateway.start_draining().await;
        }
        for service in &self.services {
            service.start_draining().await;
        }
        tokio::time::sleep(drain).await;
        if let Some(gateway) = self.gateway {
            gateway.stop().await;
        }
        for service in self.services.into_iter().rev() {
            service.stop().await;
        }
    }
}

async fn serve_ops(addr: SocketAddr) -> anyhow::Result<(SocketAddr, watch::Sender<bool>)> {
    let listener =
        TcpListener::bind(addr).await.with_context(|| format!("telemetry.ops_listen: cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    let app = axum::Router::new()
        .route("/metrics", axum::routing::get(|| async { canopy_kit::telemetry::render_metrics() }))
        .route("/healthz", axum::routing::get(|| async { "ok\n" }));
    let (stop_tx, mut stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.wait_for(|s| *s).await;
            })
            .await;
    });
    Ok((bound, stop_tx))
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("install SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
