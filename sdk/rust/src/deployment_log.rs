//! A deployment's log as a watcher holds it, kept equal to the stored log across
//! reconnects: apply every `WatchDeploymentResponse`, and after a disconnect call
//! `WatchDeployment` again with [`DeploymentLog::resume`]. When the server's log no
//! longer matches the copy (a lost commit, a failover to a replica that was behind),
//! the server says `reset` and the copy starts again from what follows.

use crate::proto::canopy::sites::v1::{DeploymentEvent, WatchDeploymentRequest, WatchDeploymentResponse};

/// The events of one deployment, in `seq` order, each once.
#[derive(Debug, Clone, Default)]
pub struct DeploymentLog {
    events: Vec<DeploymentEvent>,
    resets: u32,
}

impl DeploymentLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one message of the stream: a reset drops every event held; an event
    /// already held (by `seq`) is ignored.
    pub fn apply(&mut self, response: WatchDeploymentResponse) {
        if response.reset {
            self.events.clear();
            self.resets += 1;
        }
        if let Some(event) = response.event
            && event.seq > self.last_seq()
        {
            self.events.push(event);
        }
    }

    /// The request that resumes after the last event held.
    pub fn resume(&self, deployment_id: impl Into<String>) -> WatchDeploymentRequest {
        let last = self.events.last();
        WatchDeploymentRequest {
            deployment_id: deployment_id.into(),
            after_seq: self.last_seq(),
            after_id: last.map(|e| e.id.clone()).unwrap_or_default(),
        }
    }

    pub fn events(&self) -> &[DeploymentEvent] {
        &self.events
    }

    /// How many times the server replaced the copy held.
    pub fn resets(&self) -> u32 {
        self.resets
    }

    fn last_seq(&self) -> i64 {
        self.events.last().map_or(0, |e| e.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, id: &str) -> WatchDeploymentResponse {
        WatchDeploymentResponse {
            event: Some(DeploymentEvent { seq, id: id.into(), message: format!("line {seq}"), ..Default::default() }),
            reset: false,
        }
    }

    #[test]
    fn resumes_after_the_last_event_and_ignores_repeats() {
        let mut log = DeploymentLog::new();
        assert_eq!(log.resume("d").after_seq, 0);
        assert_eq!(log.resume("d").after_id, "");
        for response in [event(1, "a"), event(2, "b"), event(2, "b"), event(1, "a")] {
            log.apply(response);
        }
        let seqs: Vec<i64> = log.events().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2]);
        let resume = log.resume("d");
        assert_eq!((resume.deployment_id.as_str(), resume.after_seq, resume.after_id.as_str()), ("d", 2, "b"));
    }

    #[test]
    fn a_reset_replaces_everything_held() {
        let mut log = DeploymentLog::new();
        for response in [event(1, "a"), event(2, "b"), event(3, "c")] {
            log.apply(response);
        }
        log.apply(WatchDeploymentResponse { reset: true, ..event(1, "a") });
        log.apply(event(2, "x"));
        let held: Vec<(i64, &str)> = log.events().iter().map(|e| (e.seq, e.id.as_str())).collect();
        assert_eq!(held, [(1, "a"), (2, "x")]);
        assert_eq!(log.resets(), 1);

        log.apply(WatchDeploymentResponse { event: None, reset: true });
        assert!(log.events().is_empty(), "a reset of an empty stored log empties the copy");
    }
}
