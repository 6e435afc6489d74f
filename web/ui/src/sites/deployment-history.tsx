//! A site's deployments (ListDeployments), newest first and paged with "Newer" /
//! "Older": what each did, its status, when it started, how long it took (or has
//! been running), its attempt and, when it failed, why. Choosing one shows its
//! log, live while it runs, through `DeploymentProgress`.
import { useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, sites } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { EmptyState } from "../components/empty-state";
import { Spinner } from "../components/spinner";
import { StatusBadge } from "../components/status-badge";
import { Table } from "../components/table";
import { usePageTokens } from "../paging/use-page-tokens";
import { errorMessage } from "../session/error-message";
import { DeploymentProgress } from "./deployment-progress";
import { deploymentQueries } from "./site-queries";
import { deploymentKind, deploymentStatus, isFinished } from "./site-status";
import { durationInWords, formatDateTime, timeInWords, toDate } from "./time-in-words";
import { useDeploymentWatch } from "./use-deployment-watch";

export interface DeploymentHistoryProps {
  client: Pick<CanopyClient, "sites">;
  siteId: string;
  pageSize?: number;
}

/** How long it took, or has been running, in words. */
function duration(d: sites.Deployment, now: number): string {
  const start = toDate(d.startTime);
  if (!start) return isFinished(d.status) ? "—" : "waiting for a worker";
  const end = toDate(d.finishTime);
  if (end) return durationInWords(end.getTime() - start.getTime());
  return `running for ${durationInWords(now - start.getTime())}`;
}

/** Re-renders every second while `ticking`, for "running for …". */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  return ticking ? now : Date.now();
}

function DeploymentLog({ client, deployment, onClose }: { client: Pick<CanopyClient, "sites">; deployment: sites.Deployment; onClose: () => void }) {
  const watch = useDeploymentWatch(client, deployment.id);
  return (
    <div className="flex flex-col gap-3 border-t border-line pt-4">
      <DeploymentProgress watch={watch} title={`${deploymentKind(deployment.kind)}, ${formatDateTime(deployment.createTime)}`} />
      <div>
        <Button variant="secondary" onClick={onClose}>
          Close the log
        </Button>
      </div>
    </div>
  );
}

export function DeploymentHistory({ client, siteId, pageSize = 10 }: DeploymentHistoryProps) {
  const pages = usePageTokens(siteId);
  const [chosen, setChosen] = useState<sites.Deployment>();
  const list = useQuery(deploymentQueries.history(client, siteId, pageSize, pages.pageToken));
  const running = list.data?.deployments.some((d) => !isFinished(d.status)) ?? false;
  const now = useNow(running);
  const nextPageToken = list.data?.page?.nextPageToken ?? "";

  if (list.isPending) return <Spinner label="Loading deployments" />;
  if (list.isError) return <Alert tone="danger">{errorMessage(list.error)}</Alert>;
  if (list.data.deployments.length === 0 && !pages.hasPrevious) return <EmptyState title="No deployments yet" />;

  return (
    <div className="flex flex-col gap-4">
      <Table aria-label="Deployment history">
        <thead>
          <tr>
            <th>Deployment</th>
            <th>Status</th>
            <th>Started</th>
            <th>Duration</th>
            <th>Attempt</th>
            <th>
              <span className="sr-only">Log</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data.deployments.map((d) => {
            const status = deploymentStatus(d.status);
            const kind = deploymentKind(d.kind);
            const started = d.startTime ?? d.createTime;
            const selected = chosen?.id === d.id;
            return (
              <tr key={d.id} className={selected ? "bg-canvas" : undefined}>
                <td className="font-semibold">{kind}</td>
                <td>
                  <div className="flex flex-wrap items-center gap-2">
                    <StatusBadge label={status.label} tone={status.tone} />
                    {d.cancelRequested && !isFinished(d.status) && <span className="text-sm text-muted">Cancelling…</span>}
                  </div>
                  {d.status === sites.DeploymentStatus.FAILED && d.error && <p className="m-0 mt-1 text-sm break-words text-danger">{d.error}</p>}
                </td>
                <td>
                  <time dateTime={toDate(started)?.toISOString()} title={formatDateTime(started)}>
                    {d.startTime ? timeInWords(d.startTime, "—", now) : `queued ${timeInWords(d.createTime, "—", now)}`}
                  </time>
                </td>
                <td>{duration(d, now)}</td>
                <td>
                  {d.attempt || 1}
                </td>
                <td>
                  <Button
                    variant="secondary"
                    aria-label={`${selected ? "Hide log" : "Show log"} of ${kind}, ${formatDateTime(d.createTime)}`}
                    onClick={() => setChosen(selected ? undefined : d)}
                  >
                    {selected ? "Hide log" : "Show log"}
                  </Button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </Table>
      {list.data.deployments.length === 0 && <p className="m-0 text-muted">No older deployments.</p>}
      <nav aria-label="Deployment pages" className="flex flex-wrap items-center justify-end gap-3">
        {list.isPlaceholderData && <Spinner size="small" label="Loading deployments" />}
        <Button variant="secondary" disabled={!pages.hasPrevious || list.isPlaceholderData} onClick={pages.previous}>
          Newer
        </Button>
        <Button variant="secondary" disabled={!nextPageToken || list.isPlaceholderData} onClick={() => pages.next(nextPageToken)}>
          Older
        </Button>
      </nav>
      {chosen && <DeploymentLog key={chosen.id} client={client} deployment={chosen} onClose={() => setChosen(undefined)} />}
    </div>
  );
}
