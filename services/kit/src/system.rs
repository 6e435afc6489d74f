//! `canopy.system.v1.SystemService`, hosted by every service: name, version, build,
//! uptime, and a live probe of each dependency.

use std::time::{Duration, Instant, SystemTime};

use canopy_sdk::proto::canopy::common::v1::ServingStatus;
use canopy_sdk::proto::canopy::system::v1::system_service_server::SystemService;
use canopy_sdk::proto::canopy::system::v1::{DependencyHealth, GetSystemInfoRequest, GetSystemInfoResponse};
use tonic::{Request, Response, Status};

use crate::db::Database;
use crate::redis_store::RedisStore;

/// The build's version and commit, set by `CANOPY_BUILD_COMMIT` at compile time.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const BUILD_COMMIT: &str = match option_env!("CANOPY_BUILD_COMMIT") {
    Some(commit) => commit,
    None => "unknown",
};

/// The system service of one hosted service.
pub struct System {
    pub service: &'static str,
    pub workload_identity: String,
    pub database: Option<Database>,
    pub redis: RedisStore,
    pub started: SystemTime,
    pub started_instant: Instant,
}

#[tonic::async_trait]
impl SystemService for System {
    async fn get_system_info(
        &self,
        _request: Request<GetSystemInfoRequest>,
    ) -> Result<Response<GetSystemInfoResponse>, Status> {
        let mut dependencies = Vec::new();
        if let Some(database) = &self.database {
            dependencies.push(probe("postgres", database.ping()).await);
        }
        dependencies.push(probe("redis", self.redis.ping()).await);
        let healthy = dependencies.iter().all(|d| d.status == ServingStatus::Serving as i32);
        let uptime = self.started_instant.elapsed();
        Ok(Response::new(GetSystemInfoResponse {
            service: self.service.to_string(),
            workload_identity: self.workload_identity.clone(),
            version: VERSION.to_string(),
            build_commit: BUILD_COMMIT.to_string(),
            start_time: Some(prost_types::Timestamp::from(self.started)),
            uptime: Some(duration(uptime)),
            status: if healthy { ServingStatus::Serving } else { ServingStatus::NotServing } as i32,
            dependencies,
        }))
    }
}

async fn probe<E: std::fmt::Display>(name: &str, check: impl Future<Output = Result<(), E>>) -> DependencyHealth {
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(2), check).await;
    let latency = Some(duration(started.elapsed()));
    let (status, detail) = match result {
        Ok(Ok(())) => (ServingStatus::Serving, String::new()),
        Ok(Err(error)) => (ServingStatus::NotServing, error.to_string()),
        Err(_) => (ServingStatus::NotServing, "probe timed out after 2s".to_string()),
    };
    DependencyHealth { name: name.to_string(), status: status as i32, latency, detail }
}

fn duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration { seconds: d.as_secs() as i64, nanos: d.subsec_nanos() as i32 }
}
