//! Sites across customers (ListSites) with search, customer, provider and status
//! filters and deleted sites on request (in the URL: `?q=`, `?customer=`,
//! `?provider=`, `?status=`, `?deleted=1`), paging, and each site's customer by name.
import { type CanopyClient, sites } from "@canopy/sdk";
import { Pager, Alert, Card, fieldErrors, FilterBar, EmptyState, errorMessage, SelectField, SITE_STATUS_FILTERS, siteQueries, siteStatusFromName, Spinner, useSearchFilters } from "@canopy/ui";
import { CustomerSelect } from "../../../components/customer-select";
import { useCustomerNames } from "../../../hooks/use-customer-names";
import { usePagedList } from "../../../hooks/use-paged-list";
import { PROVIDER_FILTERS, providerFromName } from "../site-filters";
import { SitesTable } from "./sites-table";

const FILTERS = ["q", "customer", "provider", "status", "deleted"] as const;

export interface SitesListProps {
  client: Pick<CanopyClient, "sites" | "customers">;
}

export function SitesList({ client }: SitesListProps) {
  const [filters, setFilters] = useSearchFilters(FILTERS);
  const status = siteStatusFromName(filters.status);
  const request = {
    search: filters.q,
    customerId: filters.customer,
    provider: providerFromName(filters.provider),
    status,
    // Deleted sites are only listed with include_deleted.
    includeDeleted: filters.deleted === "1" || status === sites.SiteStatus.DELETED,
  };
  const filtered = Object.values(filters).some(Boolean);
  const { pages, query: list } = usePagedList(request, (r) => siteQueries.list(client, r));
  const names = useCustomerNames(client, list.data?.sites.map((s) => s.customerId) ?? []);
  const searchError = fieldErrors(list.error, { search: "search" } as Record<string, "search">)?.fields.search;

  return (
    <div className="flex flex-col gap-4">
      <FilterBar
        label="Filter sites"
        searchLabel="Search sites"
        searchPlaceholder="Part of a site name"
        searchError={searchError}
        search={filters.q}
        onSearch={(q) => setFilters({ q: q.toLowerCase() })}
        filtered={filtered}
        onClear={() => setFilters({ q: "", customer: "", provider: "", status: "", deleted: "" })}
      >
        <CustomerSelect client={client} value={filters.customer} onChange={(customer) => setFilters({ customer })} />
        <SelectField label="Provider" value={filters.provider} placeholder="All providers" options={PROVIDER_FILTERS} onChange={(e) => setFilters({ provider: e.target.value })} />
        <SelectField
          label="Status"
          value={filters.status}
          placeholder="All statuses"
          options={SITE_STATUS_FILTERS.map(({ value, label }) => ({ value, label }))}
          onChange={(e) => setFilters({ status: e.target.value })}
        />
        <label className="inline-flex min-h-control items-center gap-2">
          <input type="checkbox" className="size-4 accent-primary" checked={filters.deleted === "1"} onChange={(e) => setFilters({ deleted: e.target.checked ? "1" : "" })} />
          Include deleted sites
        </label>
      </FilterBar>
      <Card>
        {list.isPending ? (
          <Spinner label="Loading sites" />
        ) : list.isError ? (
          <Alert tone="danger">{searchError ? "Some fields need attention." : errorMessage(list.error)}</Alert>
        ) : list.data.sites.length === 0 ? (
          <EmptyState title={filtered ? "No sites match" : "No sites yet"} description={filtered ? "Try another search or other filters." : "Customers create sites in their portal."} />
        ) : (
          <>
            <SitesTable sites={list.data.sites} customerNames={names} aria-label="Sites" />
            <Pager pages={pages} page={list.data.page} noun={["site", "sites"]} loading={list.isPlaceholderData} />
          </>
        )}
      </Card>
    </div>
  );
}
