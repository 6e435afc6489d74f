//! A customer's sites (ListSites with its id), a short table on the customer page;
//! the sites page filtered to the customer shows them all.
import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { Alert, EmptyState, Spinner, errorMessage, siteQueries } from "@canopy/ui";
import { SitesTable } from "./sites-table";

const SHOWN = 10;

export function CustomerSites({ client, customerId }: { client: Pick<CanopyClient, "sites">; customerId: string }) {
  const list = useQuery(siteQueries.list(client, { customerId, page: { pageSize: SHOWN } }));
  if (list.isPending) return <Spinner label="Loading sites" />;
  if (list.isError) return <Alert tone="danger">{errorMessage(list.error)}</Alert>;
  if (list.data.sites.length === 0) return <EmptyState title="No sites" description="The customer has not created a site yet." />;
  return (
    <div className="flex flex-col gap-3">
      <SitesTable sites={list.data.sites} aria-label="Customer sites" />
      <Link to={`/sites?customer=${customerId}`}>{list.data.page?.nextPageToken ? "All sites of this customer" : "Open in the sites list"}</Link>
    </div>
  );
}
