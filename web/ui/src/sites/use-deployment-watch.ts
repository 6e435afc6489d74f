//! Live deployment progress over `WatchDeployment` (server streaming over
//! grpc-web), through the SDK's `followDeployment`: when the stream drops it resumes
//! after the last event held, so no log line is lost or shown twice, and when the
//! server says its stored log changed under us (a lost commit, a failover) the lines
//! held are replaced by the stored ones rather than kept.
import { useEffect, useRef, useState } from "react";
import { type CanopyClient, followDeployment, sites, toCanopyError } from "@canopy/sdk";
import { errorMessage } from "../session/error-message";

export type WatchConnection = "connecting" | "live" | "reconnecting" | "finished" | "failed";

export interface DeploymentWatch {
  events: readonly sites.DeploymentEvent[];
  /** The latest status event's status. */
  status: sites.DeploymentStatus;
  connection: WatchConnection;
  error?: string;
}

function latestStatus(events: readonly sites.DeploymentEvent[]): sites.DeploymentStatus {
  for (let i = events.length - 1; i >= 0; i--) {
    if (events[i]!.kind === sites.DeploymentEventKind.STATUS) return events[i]!.status;
  }
  return sites.DeploymentStatus.UNSPECIFIED;
}

export function useDeploymentWatch(client: Pick<CanopyClient, "sites">, deploymentId: string | undefined, onFinished?: () => void): DeploymentWatch {
  const [watch, setWatch] = useState<DeploymentWatch>({ events: [], status: sites.DeploymentStatus.UNSPECIFIED, connection: "connecting" });
  const finished = useRef(onFinished);
  finished.current = onFinished;

  useEffect(() => {
    if (!deploymentId) return;
    const abort = new AbortController();
    setWatch({ events: [], status: sites.DeploymentStatus.UNSPECIFIED, connection: "connecting" });

    void (async () => {
      try {
        const follow = followDeployment(client, deploymentId, {
          signal: abort.signal,
          onRetry: () => setWatch((w) => ({ ...w, connection: "reconnecting" })),
        });
        for await (const log of follow) {
          setWatch({ events: log.events, status: latestStatus(log.events), connection: "live" });
        }
        if (abort.signal.aborted) return;
        // The server ends the stream when the deployment has finished.
        setWatch((w) => ({ ...w, connection: "finished" }));
        finished.current?.();
      } catch (error) {
        if (abort.signal.aborted) return;
        setWatch((w) => ({ ...w, connection: "failed", error: errorMessage(toCanopyError(error)) }));
      }
    })();
    return () => abort.abort();
  }, [client, deploymentId]);

  return watch;
}
