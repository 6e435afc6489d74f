//! Live deployment progress over `WatchDeployment` (server streaming over
//! grpc-web). When the stream drops it reconnects with `after_seq` set to the last
//! event seen, so no log line is lost or shown twice.
import { useEffect, useRef, useState } from "react";
import { type CanopyClient, Code, sites, toCanopyError } from "@canopy/sdk";
import { errorMessage } from "../session/error-message";

export type WatchConnection = "connecting" | "live" | "reconnecting" | "finished" | "failed";

export interface DeploymentWatch {
  events: sites.DeploymentEvent[];
  /** The latest status event's status. */
  status: sites.DeploymentStatus;
  connection: WatchConnection;
  error?: string;
}

/** Adds the events after the last one held, in seq order, each once. */
export function appendEvents(held: sites.DeploymentEvent[], incoming: sites.DeploymentEvent[]): sites.DeploymentEvent[] {
  let last = held.at(-1)?.seq ?? 0n;
  const out = [...held];
  for (const event of incoming) {
    if (event.seq <= last) continue;
    out.push(event);
    last = event.seq;
  }
  return out;
}

/** Errors after which reconnecting can help (the network, a proxy, a deadline). */
const TRANSIENT = new Set([Code.Unavailable, Code.Unknown, Code.DeadlineExceeded, Code.Internal, Code.Aborted]);
const MAX_ATTEMPTS = 8;

export function useDeploymentWatch(client: Pick<CanopyClient, "sites">, deploymentId: string | undefined, onFinished?: () => void): DeploymentWatch {
  const [watch, setWatch] = useState<DeploymentWatch>({ events: [], status: sites.DeploymentStatus.UNSPECIFIED, connection: "connecting" });
  const finished = useRef(onFinished);
  finished.current = onFinished;

  useEffect(() => {
    if (!deploymentId) return;
    const abort = new AbortController();
    let lastSeq = 0n;
    setWatch({ events: [], status: sites.DeploymentStatus.UNSPECIFIED, connection: "connecting" });

    void (async () => {
      for (let attempt = 0; !abort.signal.aborted; ) {
        try {
          const stream = client.sites.watchDeployment({ deploymentId, afterSeq: lastSeq }, { signal: abort.signal, timeoutMs: 10 * 60_000 });
          for await (const { event } of stream) {
            if (!event || event.seq <= lastSeq) continue;
            lastSeq = event.seq;
            attempt = 0;
            setWatch((w) => ({
              events: appendEvents(w.events, [event]),
              status: event.kind === sites.DeploymentEventKind.STATUS ? event.status : w.status,
              connection: "live",
            }));
          }
          // The server ends the stream when the deployment has finished.
          setWatch((w) => ({ ...w, connection: "finished" }));
          finished.current?.();
          return;
        } catch (error) {
          if (abort.signal.aborted) return;
          const e = toCanopyError(error);
          if (!TRANSIENT.has(e.code) || ++attempt > MAX_ATTEMPTS) {
            setWatch((w) => ({ ...w, connection: "failed", error: errorMessage(e) }));
            return;
          }
          setWatch((w) => ({ ...w, connection: "reconnecting" }));
          await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 8_000)));
        }
      }
    })();
    return () => abort.abort();
  }, [client, deploymentId]);

  return watch;
}
