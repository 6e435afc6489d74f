//! The dashboard's two reads: customers per status (one ListCustomers per status
//! with a page of one, reading the filtered total_size tenancy counts — a handful
//! of index counts whatever the number of customers) and the fleet since local
//! midnight (one GetFleetSummary for the site and deployment cards, fetched again
//! every few seconds while anything is settling). Their keys sit under
//! `customerKeys.all` and `siteKeys.all`, so whatever refreshes customers or sites
//! refreshes the dashboard too.
import { queryOptions } from "@tanstack/react-query";
import { type CanopyClient, sites, tenancy } from "@canopy/sdk";
import { siteKeys } from "@canopy/ui";
import { customerKeys } from "../../../lib/customer-queries";
import { STATUS_FILTERS } from "../../../lib/customer-status";

const SETTLING_EVERY_MS = 5_000;
const RECENT_FAILURES = 10;

export interface CustomerCounts {
  /** Customers per status. */
  byStatus: Map<tenancy.CustomerStatus, bigint>;
  /** Every customer. */
  total: bigint;
}

async function countWhere(client: Pick<CanopyClient, "customers">, status: tenancy.CustomerStatus): Promise<bigint> {
  const res = await client.customers.listCustomers({ status, page: { pageSize: 1 } });
  const total = res.page?.totalSize ?? -1n;
  if (total < 0n) throw new Error("Canopy did not count the customers. Please try again.");
  return total;
}

export async function countCustomers(client: Pick<CanopyClient, "customers">): Promise<CustomerCounts> {
  const statuses = STATUS_FILTERS.map((f) => f.status);
  const [total, ...counts] = await Promise.all([tenancy.CustomerStatus.UNSPECIFIED, ...statuses].map((status) => countWhere(client, status)));
  return { total: total!, byStatus: new Map(statuses.map((status, i) => [status, counts[i]!])) };
}

/** Local midnight of `now`'s day. */
export function localMidnight(now = new Date()): Date {
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  return midnight;
}

/** Whether the summary will change without anyone doing anything. */
export function isSettling(summary: sites.GetFleetSummaryResponse): boolean {
  const S = sites.SiteStatus;
  const D = sites.DeploymentStatus;
  const siteSettling = summary.siteCounts.some((c) => c.count > 0n && [S.PENDING, S.PROVISIONING, S.UPDATING, S.DELETING].includes(c.status));
  const deploymentRunning = summary.deploymentCounts.some((c) => c.count > 0n && (c.status === D.QUEUED || c.status === D.RUNNING));
  return siteSettling || deploymentRunning;
}

export const dashboardQueries = {
  customerCounts: (client: Pick<CanopyClient, "customers">) => queryOptions({ queryKey: customerKeys.counts(), queryFn: () => countCustomers(client) }),
  fleetSummary: (client: Pick<CanopyClient, "sites">, since: Date) =>
    queryOptions({
      queryKey: siteKeys.fleetSummary(since.toISOString()),
      queryFn: () =>
        client.sites.getFleetSummary({
          since: { seconds: BigInt(Math.floor(since.getTime() / 1000)), nanos: 0 },
          recentFailuresLimit: RECENT_FAILURES,
        }),
      refetchInterval: (query) => (query.state.data && isSettling(query.state.data) ? SETTLING_EVERY_MS : false),
    }),
};
