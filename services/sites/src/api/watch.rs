//! The `WatchDeployment` stream: a task per watcher reads the deployment's events by
//! `seq` and sends them on, until the deployment has finished and every event is
//! out. It sleeps on the process's shared LISTEN fan-out ([`crate::Sites::events`])
//! and polls every second as well: notifications are a hint, the read is the truth.
//! A watcher that reconnects with the last `seq` it saw resumes without gaps or
//! duplicates.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use canopy_deployments::queue::{self, DeploymentStatus};
use canopy_kit::db::Scope;
use canopy_sdk::proto::canopy::sites::v1 as pb;
use futures_util::Stream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use uuid::Uuid;

use super::convert::event_to_proto;
use super::db;
use crate::Sites;

/// What `WatchDeployment` answers with.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::WatchDeploymentResponse, Status>> + Send>>;

/// Events read per query; a shorter batch means the watcher has caught up.
const BATCH: i64 = 200;

/// Streams the events of deployment `id` (of `tenant_id`, read in `scope`) after
/// `after_seq`. The caller has checked that the principal may see it.
pub fn watch(sites: Arc<Sites>, scope: Scope, tenant_id: Uuid, id: Uuid, after_seq: i64) -> WatchStream {
    let (tx, rx) = mpsc::channel(64);
    let mut wake = sites.events.subscribe();
    tokio::spawn(async move {
        let mut after = after_seq;
        loop {
            let batch = async {
                let mut db_tx = sites.database.begin(scope).await?;
                let events = queue::events_after(&mut db_tx, tenant_id, id, after, BATCH).await?;
                let current = queue::deployment(&mut db_tx, tenant_id, id).await?;
                Ok::<_, sqlx::Error>((events, current))
            }
            .await;
            let (events, current) = match batch {
                Ok(found) => found,
                Err(error) => {
                    let _ = tx.send(Err(Status::from(db(error)))).await;
                    return;
                }
            };
            let caught_up = events.len() < BATCH as usize;
            for event in &events {
                after = event.seq;
                let message = pb::WatchDeploymentResponse { event: Some(event_to_proto(event)) };
                if tx.send(Ok(message)).await.is_err() {
                    return; // the watcher went away
                }
            }
            let finished = current.is_none_or(|d| {
                matches!(d.status, DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Cancelled)
            });
            if finished && caught_up {
                // One more read closes the race between the last event and the status.
                if let Ok(mut db_tx) = sites.database.begin(scope).await
                    && let Ok(late) = queue::events_after(&mut db_tx, tenant_id, id, after, BATCH).await
                {
                    for event in &late {
                        if tx
                            .send(Ok(pb::WatchDeploymentResponse { event: Some(event_to_proto(event)) }))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                }
                return;
            }
            if caught_up {
                // Sleep until this deployment has news, the watcher leaves, or a
                // second passes (notifications are a hint; the read is the truth).
                let wait = async {
                    loop {
                        match wake.recv().await {
                            Ok(woken) if woken == id => return,
                            Ok(_) => continue,
                            Err(broadcast_error) => {
                                if matches!(broadcast_error, tokio::sync::broadcast::error::RecvError::Closed) {
                                    tokio::time::sleep(Duration::from_secs(1)).await;
                                }
                                return;
                            }
                        }
                    }
                };
                tokio::select! {
                    _ = wait => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = tx.closed() => return,
                }
            }
        }
    });
    Box::pin(ReceiverStream::new(rx))
}
