//! A line above the sites table: how many sites there are and how many are in
//! each status (GetFleetSummary), each count a link that filters the table.
import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { SITE_STATUS_FILTERS, Spinner, StatusBadge, errorMessage, siteStatus } from "@canopy/ui";
import { fleetSummaryQueries } from "../api/sites";

export interface FleetSummaryProps {
  client: Pick<CanopyClient, "sites">;
}

export function FleetSummary({ client }: FleetSummaryProps) {
  const summary = useQuery(fleetSummaryQueries.sites(client));
  if (summary.isPending) return <Spinner size="small" label="Loading the summary" />;
  if (summary.isError) return <p className="m-0 text-sm text-muted">The summary is not available: {errorMessage(summary.error)}</p>;
  const { totalSites, siteCounts } = summary.data;
  if (totalSites === 0n) return null;
  const counts = siteCounts.filter((c) => c.count > 0n);
  return (
    <ul aria-label="Sites by status" className="m-0 flex list-none flex-wrap items-center gap-x-4 gap-y-2 p-0">
      <li className="font-semibold">
        {totalSites.toLocaleString()} {totalSites === 1n ? "site" : "sites"}
      </li>
      {counts.map(({ status, count }) => {
        const words = siteStatus(status);
        const name = SITE_STATUS_FILTERS.find((f) => f.status === status)?.value;
        const badge = (
          <>
            <span className="font-semibold text-ink">{count.toLocaleString()}</span> <StatusBadge label={words.label} tone={words.tone} />
          </>
        );
        return (
          <li key={status} className="flex items-center">
            {name ? (
              <Link to={`/?status=${name}`} aria-label={`${count.toLocaleString()} ${words.label.toLowerCase()}: show only these`} className="no-underline">
                {badge}
              </Link>
            ) : (
              badge
            )}
          </li>
        );
      })}
    </ul>
  );
}
