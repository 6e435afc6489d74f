//! The customer's sites (ListSites): search by name and a status filter, kept in
//! the URL (`?q=`, `?status=`) so a reload or the back button shows the same list,
//! and paging. Sites being provisioned or deleted refresh on their own.
import { type ReactNode, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type CanopyClient, sites } from "@canopy/sdk";
import {
  Alert,
  Button,
  EmptyState,
  Pager,
  SITE_STATUS_FILTERS,
  SelectField,
  Spinner,
  StatusBadge,
  Table,
  TextField,
  errorMessage,
  isSettling,
  siteStatus,
  siteStatusFromName,
  usePageTokens,
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
  const [params, setParams] = useSearchParams();
  const search = params.get("q") ?? "";
  const statusName = params.get("status") ?? "";
  const [text, setText] = useState(search);
  // The search box follows the URL when it changes by other means (a link, the back button).
  const [shownSearch, setShownSearch] = useState(search);
  if (shownSearch !== search) {
    setShownSearch(search);
    setText(search);
  }
  const status = siteStatusFromName(statusName);
  const filters = {
    search,
    status,
    // Deleted sites are only listed with include_deleted.
    includeDeleted: status === sites.SiteStatus.DELETED,
  };
  const filtered = search !== "" || status !== sites.SiteStatus.UNSPECIFIED;
  const pages = usePageTokens(JSON.stringify(filters));
  const list = useQuery({
    queryKey: ["sites", filters, pages.pageToken],
    queryFn: () => client.sites.listSites({ ...filters, page: { pageSize, pageToken: pages.pageToken } }),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.sites.some((s) => isSettling(s.status)) ? 3_000 : false),
  });

  // The dashboard's URL holds nothing but these two filters.
  const setFilters = ({ q = search, status = statusName }: { q?: string; status?: string }) =>
    setParams(Object.fromEntries(Object.entries({ q, status }).filter(([, value]) => value)), { replace: true });
  const clear = () => {
    setText("");
    setFilters({ q: "", status: "" });
  };

  return (
    <div className="flex flex-col gap-4">
      <form
        role="search"
        aria-label="Filter sites"
        className="flex flex-wrap items-end gap-3 max-sm:flex-col max-sm:items-stretch"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ q: text.trim().toLowerCase() });
        }}
      >
        <div className="min-w-50 flex-1">
          <TextField label="Search sites" type="search" placeholder="Part of a site name" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <Button type="submit" variant="secondary" busy={list.isPlaceholderData}>
          Search
        </Button>
        <div className="min-w-40">
          <SelectField
            label="Status"
            placeholder="All statuses"
            options={SITE_STATUS_FILTERS.map(({ value, label }) => ({ value, label }))}
            value={statusName}
            onChange={(e) => setFilters({ status: e.target.value })}
          />
        </div>
        {filtered && (
          <Button variant="secondary" onClick={clear}>
            Clear filters
          </Button>
        )}
      </form>
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
                    <td className="break-all">{site.outputs?.url || "—"}</td>
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
