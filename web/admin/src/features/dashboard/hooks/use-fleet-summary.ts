//! The fleet since local midnight (SiteService.GetFleetSummary): one call for the
//! site and deployment cards, fetched again every few seconds while anything is
//! settling (a site being provisioned, updated or deleted; a deployment queued or
//! running).
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, sites } from "@canopy/sdk";

const SETTLING_EVERY_MS = 5_000;
const RECENT_FAILURES = 10;

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

export function useFleetSummary(client: Pick<CanopyClient, "sites">) {
  const since = localMidnight();
  return useQuery({
    queryKey: ["fleet-summary", since.toISOString()],
    queryFn: () =>
      client.sites.getFleetSummary({
        since: { seconds: BigInt(Math.floor(since.getTime() / 1000)), nanos: 0 },
        recentFailuresLimit: RECENT_FAILURES,
      }),
    refetchInterval: (query) => (query.state.data && isSettling(query.state.data) ? SETTLING_EVERY_MS : false),
  });
}
