/**
 * A deployment's log, followed live and kept equal to the log stored on the server.
 *
 * `WatchDeployment` streams events in `seq` order; after a dropped connection the
 * client resumes after the last event it holds, naming its `seq` and `id`. If the
 * stored log has changed under the client since (a confirmed commit the database
 * lost, a failover to a replica that was behind), the server opens the resumed
 * stream with `reset`, and the client drops what it holds: a watcher is never left
 * showing lines the server no longer has.
 */
import { Code } from "@connectrpc/connect";
import type { CanopyClient } from "./client.js";
import { type CanopyError, toCanopyError } from "./errors.js";
import type { DeploymentEvent, WatchDeploymentResponse } from "./gen/canopy/sites/v1/sites_pb.js";

/** The events of one deployment, in `seq` order, each once. */
export class DeploymentLog {
  #events: DeploymentEvent[] = [];
  #resets = 0;

  /** The events held. A new array after every change, so it can be React state. */
  get events(): readonly DeploymentEvent[] {
    return this.#events;
  }

  /** How many times the server replaced the copy held. */
  get resets(): number {
    return this.#resets;
  }

  /**
   * Takes one message of the stream: a reset drops every event held; an event
   * already held (by `seq`) is ignored. Returns whether the log changed.
   */
  apply(response: Pick<WatchDeploymentResponse, "event" | "reset">): boolean {
    let next = this.#events;
    if (response.reset) {
      next = [];
      this.#resets += 1;
    }
    const event = response.event;
    if (event && event.seq > (next.at(-1)?.seq ?? 0n)) next = [...next, event];
    const changed = next !== this.#events;
    this.#events = next;
    return changed;
  }

  /** The request that resumes after the last event held. */
  resume(deploymentId: string): { deploymentId: string; afterSeq: bigint; afterId: string } {
    const last = this.#events.at(-1);
    return { deploymentId, afterSeq: last?.seq ?? 0n, afterId: last?.id ?? "" };
  }
}

export interface FollowDeploymentOptions {
  signal?: AbortSignal;
  /** Deadline of each stream, in milliseconds (default 10 minutes). */
  timeoutMs?: number;
  /** Reconnections in a row without a new event before giving up (default 8). */
  maxAttempts?: number;
  /** Told before each reconnection, with the error that ended the stream. */
  onRetry?: (error: CanopyError, attempt: number) => void;
}

/** Errors after which reconnecting can help (the network, a proxy, a deadline). */
const TRANSIENT = new Set([Code.Unavailable, Code.Unknown, Code.DeadlineExceeded, Code.Internal, Code.Aborted]);

/**
 * Follows a deployment until the server ends the stream (the deployment has
 * finished), yielding the log after every change. Reconnects after transient errors
 * with capped exponential back-off, resuming after the last event held; throws a
 * `CanopyError` for anything else, or after `maxAttempts` reconnections in a row.
 * Returns quietly when `signal` aborts.
 */
export async function* followDeployment(
  client: Pick<CanopyClient, "sites">,
  deploymentId: string,
  options: FollowDeploymentOptions = {},
): AsyncGenerator<DeploymentLog, void, undefined> {
  const { signal, timeoutMs = 10 * 60_000, maxAttempts = 8, onRetry } = options;
  const log = new DeploymentLog();
  for (let attempt = 0; !signal?.aborted; ) {
    try {
      const stream = client.sites.watchDeployment(log.resume(deploymentId), { signal, timeoutMs });
      for await (const response of stream) {
        attempt = 0;
        if (log.apply(response)) yield log;
      }
      return;
    } catch (error) {
      if (signal?.aborted) return;
      const e = toCanopyError(error);
      if (!TRANSIENT.has(e.code) || ++attempt > maxAttempts) throw e;
      onRetry?.(e, attempt);
      await sleep(Math.min(250 * 2 ** attempt, 8_000), signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}
