//! The customer's sites (ListSites): search by name and a status filter, kept in
//! the URL (`?q=`, `?status=`) so a reload or the back button shows the same list,
//! and paging. Sites being provisioned or deleted refresh on their own.
import type { ReactNode } from "react";
import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, sites } from "@canopy/sdk";
import {
  Alert,
  Button,
  EmptyState,
  FilterBar,
  Pager,
  SITE_STATUS_FILTERS,
  SelectField,
  Spinner,
  StatusBadge,
  Table,
  UrlText,
  errorMessage,
  siteQueries,
  siteStatus,
  siteStatusFromName,
  usePageTokens,
  useSearchFilters,
} from "@canopy/ui";

export interface SiteListProps {
  client: Pick<CanopyClient, "sites">;
  /** Shown when the customer has no sites at all (e.g. a "New site" button). */
  newSite?: ReactNode;
  pageSize?: number;
}

/** Why a filtered list is empty, in words. */
function noMatch(search: string, status: sites.SiteStatus): string {
  const state = siteStatus(status).label.toLowerCase();
  if (search && status !== sites.SiteStatus.UNSPECIFIED) return `No ${state} site has “${search}” in its name.`;
  if (search) return `No site has “${search}” in its name.`;
  return `No site is ${state} right now.`;
}

export function SiteList({ client, newSite, pageSize = 20 }: SiteListProps) {
  const [{ q: search, status: statusName }, setFilters] = useSearchFilters(["q", "status"] as const);
  const status = siteStatusFromName(statusName);
  const filters = {
    search,
    status,
    // Deleted sites are only listed with include_deleted.
    includeDeleted: status === sites.SiteStatus.DELETED,
  };
  const filtered = search !== "" || status !== sites.SiteStatus.UNSPECIFIED;
  const pages = usePageTokens(JSON.stringify(filters));
  // Sites being provisioned or deleted refresh on their own.
  const list = useQuery(siteQueries.liveList(client, { ...filters, page: { pageSize, pageToken: pages.pageToken } }));
  const clear = () => setFilters({ q: "", status: "" });

  return (
    <div className="flex flex-col gap-4">
      <FilterBar
        label="Filter sites"
        searchLabel="Search sites"
        searchPlaceholder="Part of a site name"
        search={search}
        // Site names are lower case.
        onSearch={(q) => setFilters({ q: q.toLowerCase() })}
        filtered={filtered}
        onClear={clear}
        busy={list.isPlaceholderData}
      >
        <SelectField
          label="Status"
          placeholder="All statuses"
          options={SITE_STATUS_FILTERS.map(({ value, label }) => ({ value, label }))}
          value={statusName}
          onChange={(e) => setFilters({ status: e.target.value })}
        />
      </FilterBar>
      {list.isPending ? (
        <Spinner label="Loading sites" />
      ) : list.isError ? (
        <Alert tone="danger">{errorMessage(list.error)}</Alert>
      ) : list.data.sites.length === 0 && filtered ? (
        <EmptyState
          title="No sites match"
          description={noMatch(search, status)}
          action={
            <Button variant="secondary" onClick={clear}>
              Show all sites
            </Button>
          }
        />
      ) : list.data.sites.length === 0 && !pages.hasPrevious ? (
        <EmptyState title="No sites yet" description="Create your first site: pick a cloud, a region and a container image." action={newSite} />
      ) : (
        <>
          <Table aria-label="Sites">
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Region</th>
                <th>Address</th>
              </tr>
            </thead>
            <tbody>
              {list.data.sites.map((site) => {
                const s = siteStatus(site.status);
                return (
                  <tr key={site.id}>
                    <td>
                      <Link to={`/sites/${site.id}`}>{site.name}</Link>
                    </td>
                    <td>
                      <StatusBadge label={s.label} tone={s.tone} />
                    </td>
                    <td>{site.region}</td>
                    <td className="break-words">{site.outputs?.url ? <UrlText text={site.outputs.url} /> : "—"}</td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
          <Pager pages={pages} page={list.data.page} noun={["site", "sites"]} loading={list.isPlaceholderData} />
        </>
      )}
    </div>
  );
}
