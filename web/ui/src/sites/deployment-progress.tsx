import { useEffect, useRef } from "react";
import { sites } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Progress } from "../components/spinner";
import { StatusBadge } from "../components/status-badge";
import { deploymentStatus, isFinished } from "./site-status";
import type { DeploymentWatch } from "./use-deployment-watch";

function time(event: sites.DeploymentEvent): string {
  const seconds = event.time ? Number(event.time.seconds) : 0;
  return seconds ? new Date(seconds * 1000).toLocaleTimeString() : "";
}

export interface DeploymentProgressProps {
  /** From `useDeploymentWatch`. */
  watch: DeploymentWatch;
  /** The region's accessible name and heading, e.g. `deploymentKind(d.kind)`. */
  title: string;
}

/** The watched deployment: status, a progress bar while it runs, and its log. */
export function DeploymentProgress({ watch, title }: DeploymentProgressProps) {
  const log = useRef<HTMLPreElement>(null);
  useEffect(() => {
    log.current?.scrollTo?.({ top: log.current.scrollHeight });
  }, [watch.events.length]);
  const status = deploymentStatus(watch.status);
  const running = !isFinished(watch.status) && watch.connection !== "finished" && watch.connection !== "failed";
  const lines = watch.events.filter((e) => e.kind === sites.DeploymentEventKind.LOG);
  return (
    <div className="flex flex-col gap-4" aria-label={title} role="region">
      <div className="flex flex-wrap items-center gap-3">
        <strong>{title}</strong>
        <StatusBadge label={status.label} tone={status.tone} />
        {watch.connection === "reconnecting" && <span>Connection lost, reconnecting…</span>}
      </div>
      {running && <Progress label="Deployment in progress" />}
      {watch.error && <Alert tone="danger">{watch.error}</Alert>}
      {/* Lines never wrap: a long one scrolls sideways inside the log (focusable, so
          the keyboard scrolls it too) rather than breaking mid-token or widening the page. */}
      <pre className="m-0 max-h-90 max-w-full overflow-auto rounded-brand bg-log p-3 font-mono text-sm whitespace-pre text-on-log" ref={log} aria-label="Deployment log" tabIndex={0}>
        {lines.length === 0 ? "Waiting for the first log line…" : lines.map((e) => `${time(e)}  ${e.level ? `${e.level.toUpperCase()} ` : ""}${e.message}`).join("\n")}
      </pre>
    </div>
  );
}
