//! The `WatchDeployment` stream: a task per watcher reads the deployment's events by
//! `seq` and sends them on, until the deployment has finished and every event is
//! out. It sleeps on the process's shared LISTEN fan-out ([`crate::Sites::events`])
//! and polls every second as well: notifications are a hint, the read is the truth.
//!
//! A watcher that reconnects with the last `seq` and event id it holds resumes
//! without gaps or duplicates. Every read also fetches the event at that position
//! again: if it is gone or has another id, the stored log is no longer the one the
//! watcher holds (a confirmed commit the database lost, a failover to a replica that
//! was behind, and a retried attempt that wrote other lines under the same numbers),
//! so the stream says `reset` and sends the log again from the start, rather than
//! letting the watcher keep lines the server no longer has.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use canopy_deployments::queue::{self, DeploymentStatus};
use canopy_kit::db::Scope;
use canopy_kit::request::{optional_id_field, required_id_field};
use canopy_kit::{ApiError, FieldViolation};
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

/// Where a watcher stands: the last event it holds. `id` is `None` for a client
/// that resumes by `seq` alone (then only the event's presence is checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    pub seq: i64,
    pub id: Option<Uuid>,
}

impl Resume {
    pub const START: Resume = Resume { seq: 0, id: None };

    /// The deployment and the position a `WatchDeploymentRequest` names, with every
    /// bad field named at once.
    pub fn from_request(input: &pb::WatchDeploymentRequest) -> Result<(Uuid, Resume), ApiError> {
        let mut violations = Vec::new();
        let deployment_id = required_id_field("deployment_id", &input.deployment_id, &mut violations);
        if input.after_seq < 0 {
            violations.push(FieldViolation::new("after_seq", "must not be negative"));
        }
        let id = if input.after_seq == 0 && !input.after_id.is_empty() {
            violations.push(FieldViolation::new("after_id", "must be empty when after_seq is 0"));
            None
        } else {
            optional_id_field("after_id", &input.after_id, &mut violations)
        };
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        Ok((deployment_id, Resume { seq: input.after_seq, id }))
    }

    /// Whether `first`, read at this position, is the event the watcher holds.
    fn continues_with(&self, first: Option<&queue::DeploymentEvent>) -> bool {
        first.is_some_and(|event| event.seq == self.seq && self.id.is_none_or(|held| held == event.id))
    }
}

/// Streams the events of deployment `id` (of `tenant_id`, read in `scope`) after
/// `from`. The caller has checked that the principal may see it.
pub fn watch(sites: Arc<Sites>, scope: Scope, tenant_id: Uuid, id: Uuid, from: Resume) -> WatchStream {
    let (tx, rx) = mpsc::channel(64);
    let mut wake = sites.events.subscribe();
    tokio::spawn(async move {
        let mut held = from;
        // Set when the next message must tell the watcher to drop what it holds.
        let mut reset = false;
        // Set once the deployment has finished: one more read closes the race
        // between its last event and its status, then the stream ends.
        let mut closing = false;
        loop {
            // Re-read the held event too, to check it is still the stored one.
            let overlap = i64::from(held.seq > 0);
            let read = async {
                let mut db_tx = sites.database.begin(scope).await?;
                let events =
                    queue::events_after(&mut db_tx, tenant_id, id, held.seq - overlap, BATCH + overlap).await?;
                let current = queue::deployment(&mut db_tx, tenant_id, id).await?;
                Ok::<_, sqlx::Error>((events, current))
            }
            .await;
            let (mut events, current) = match read {
                Ok(found) => found,
                Err(error) => {
                    let _ = tx.send(Err(Status::from(db(error)))).await;
                    return;
                }
            };
            if held.seq > 0 {
                if !held.continues_with(events.first()) {
                    tracing::warn!(
                        deployment_id = %id,
                        held_seq = held.seq,
                        "the stored deployment log diverged from a watcher's copy; sending it again from the start"
                    );
                    held = Resume::START;
                    reset = true;
                    continue;
                }
                events.remove(0);
            }
            let caught_up = events.len() < BATCH as usize;
            for event in &events {
                held = Resume { seq: event.seq, id: Some(event.id) };
                let message = pb::WatchDeploymentResponse {
                    event: Some(event_to_proto(event)),
                    reset: std::mem::take(&mut reset),
                };
                if tx.send(Ok(message)).await.is_err() {
                    return; // the watcher went away
                }
            }
            if reset {
                // The stored log is empty: the reset still has to reach the watcher.
                reset = false;
                if tx.send(Ok(pb::WatchDeploymentResponse { event: None, reset: true })).await.is_err() {
                    return;
                }
            }
            if !caught_up {
                continue;
            }
            if closing {
                return;
            }
            let finished = current.is_none_or(|d| {
                matches!(d.status, DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Cancelled)
            });
            if finished {
                closing = true;
                continue;
            }
            // Sleep until this deployment has news, the watcher leaves, or a second
            // passes (notifications are a hint; the read is the truth).
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
    });
    Box::pin(ReceiverStream::new(rx))
}
