//! The admin dashboard: customers by status, sites by status, today's
//! deployments and the latest failures, this month's cost so far and its forecast,
//! each card loading, empty or failing on its own; refreshed every few seconds
//! while something is settling.
import type { ReactNode } from "react";
import { Link } from "react-router";
import type { UseQueryResult } from "@tanstack/react-query";
import { type CanopyClient, sites } from "@canopy/sdk";
import { Alert, Button, Card, EmptyState, MonthCost, SITE_STATUS_FILTERS, Spinner, deploymentKind, deploymentStatus, errorMessage, formatDateTime, siteStatus, timeInWords, toDate } from "@canopy/ui";
import { useCustomerNames } from "../../../hooks/use-customer-names";
import { customerStatus, STATUS_FILTERS } from "../../../lib/customer-status";
import { type CustomerCounts, useCustomerCounts } from "../hooks/use-customer-counts";
import { isSettling, useFleetSummary } from "../hooks/use-fleet-summary";
import { StatusCounts } from "./count-list";

export interface DashboardProps {
  client: Pick<CanopyClient, "sites" | "customers" | "costs">;
}

/** A card's body for one query: a spinner, the error in words, or `children`. */
function Loaded<T>({ query, label, children }: { query: UseQueryResult<T>; label: string; children: (data: T) => ReactNode }) {
  if (query.isPending) return <Spinner label={label} />;
  if (query.isError) return <Alert tone="danger">{errorMessage(query.error)}</Alert>;
  return <>{children(query.data)}</>;
}

function CustomersByStatus({ counts }: { counts: CustomerCounts }) {
  if (counts.total === 0n) return <EmptyState title="No customers yet" action={<Link to="/customers/new">Create the first customer</Link>} />;
  const rows = STATUS_FILTERS.map((f) => ({ ...customerStatus(f.status), count: counts.byStatus.get(f.status) ?? 0n, to: `/customers?status=${f.name}` }));
  return (
    <>
      <StatusCounts total={counts.total} caption="customers" totalTo="/customers" rows={rows} aria-label="Customers by status" />
    </>
  );
}

function SitesByStatus({ summary }: { summary: sites.GetFleetSummaryResponse }) {
  if (summary.totalSites === 0n) return <EmptyState title="No sites yet" description="Customers create sites in their portal." />;
  const rows = summary.siteCounts.map((c) => ({ ...siteStatus(c.status), count: c.count, to: `/sites?status=${SITE_STATUS_FILTERS.find((f) => f.status === c.status)?.value ?? ""}` }));
  return <StatusCounts total={summary.totalSites} caption="sites" totalTo="/sites" rows={rows} aria-label="Sites by status" />;
}

function DeploymentsToday({ summary }: { summary: sites.GetFleetSummaryResponse }) {
  const counts = summary.deploymentCounts.filter((c) => c.status !== sites.DeploymentStatus.UNSPECIFIED);
  const total = counts.reduce((sum, c) => sum + c.count, 0n);
  if (total === 0n) return <EmptyState title="No deployments today" description={`Since ${formatDateTime(summary.since)}.`} />;
  return (
    <StatusCounts
      total={total}
      caption={`deployments since ${formatDateTime(summary.since)}`}
      rows={counts.map((c) => ({ ...deploymentStatus(c.status), count: c.count }))}
      aria-label="Deployments today by status"
    />
  );
}

function RecentFailures({ client, summary }: { client: Pick<CanopyClient, "customers">; summary: sites.GetFleetSummaryResponse }) {
  const names = useCustomerNames(client, summary.recentFailures.map((f) => f.deployment?.customerId ?? ""));
  if (summary.recentFailures.length === 0) return <EmptyState title="No failed deployments today" />;
  return (
    <ul aria-label="Recent failures" className="m-0 flex list-none flex-col gap-3 p-0">
      {summary.recentFailures.map(({ deployment: d, siteName }) => {
        if (!d) return null;
        const at = d.finishTime ?? d.createTime;
        return (
          <li key={d.id} className="flex flex-col gap-1 border-b border-line pb-3 last:border-0 last:pb-0">
            <span className="flex flex-wrap items-center gap-2">
              <Link to={`/sites/${d.siteId}`} className="font-semibold">
                {siteName || d.siteId}
              </Link>
              <span className="text-muted">{names.get(d.customerId) ?? ""}</span>
              <span>· {deploymentKind(d.kind)}</span>
              <time className="text-muted" dateTime={toDate(at)?.toISOString()} title={formatDateTime(at)}>
                {timeInWords(at)}
              </time>
            </span>
            <span className="text-danger break-words">{d.error || "Failed without an error message; see the log."}</span>
          </li>
        );
      })}
    </ul>
  );
}

export function Dashboard({ client }: DashboardProps) {
  const summary = useFleetSummary(client);
  const customers = useCustomerCounts(client);
  const settling = summary.data ? isSettling(summary.data) : false;
  const refreshing = summary.isFetching || customers.isFetching;
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="m-0">Dashboard</h1>
        <div className="flex flex-wrap items-center gap-3">
          <span role="status" className="text-sm text-muted">
            {settling ? "Deployments are running: refreshing every few seconds." : summary.dataUpdatedAt ? `Updated ${new Date(summary.dataUpdatedAt).toLocaleTimeString()}.` : ""}
          </span>
          <Button
            variant="secondary"
            busy={refreshing}
            onClick={() => {
              void summary.refetch();
              void customers.refetch();
            }}
          >
            Refresh
          </Button>
        </div>
      </div>
      <div className="grid grid-cols-[repeat(auto-fit,minmax(240px,1fr))] gap-4">
        <Card title="Customers by status">
          <Loaded query={customers} label="Loading customers">
            {(counts) => <CustomersByStatus counts={counts} />}
          </Loaded>
        </Card>
        <Card title="Sites by status">
          <Loaded query={summary} label="Loading sites">
            {(data) => <SitesByStatus summary={data} />}
          </Loaded>
        </Card>
        <Card title="Deployments today">
          <Loaded query={summary} label="Loading deployments">
            {(data) => <DeploymentsToday summary={data} />}
          </Loaded>
        </Card>
      </div>
      <Card title="Costs this month" actions={<Link to="/costs">Cost dashboard</Link>}>
        <MonthCost client={client} />
      </Card>
      <Card title="Recent failures">
        <Loaded query={summary} label="Loading failures">
          {(data) => <RecentFailures client={client} summary={data} />}
        </Loaded>
      </Card>
    </div>
  );
}
