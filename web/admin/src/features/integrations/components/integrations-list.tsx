//! Store integrations across customers (ListIntegrations naming no customer), with
//! customer, platform and health filters in the URL (`?customer=`, `?platform=`,
//! `?health=`), paging, each row's customer and site by name. Read only: changes
//! are the customer's, from their site's E-commerce page.
import { useQueries } from "@tanstack/react-query";
import { Link } from "react-router";
import { type CanopyClient, commerce } from "@canopy/sdk";
import {
  Alert,
  Button,
  Card,
  EmptyState,
  HEALTH_FILTERS,
  HealthBadge,
  PLATFORM_FILTERS,
  Pager,
  SelectField,
  Spinner,
  Table,
  causeLabel,
  errorMessage,
  formatDateTime,
  healthFromName,
  integrationQueries,
  platformFromName,
  platformLabel,
  siteQueries,
  timeInWords,
  useSearchFilters,
} from "@canopy/ui";
import { CustomerSelect } from "../../../components/customer-select";
import { useCustomerNames } from "../../../hooks/use-customer-names";
import { usePagedList } from "../../../hooks/use-paged-list";

const FILTERS = ["customer", "platform", "health"] as const;

export interface IntegrationsListProps {
  client: Pick<CanopyClient, "integrations" | "customers" | "sites">;
}

/** Site names for the ids shown: one cached GetSite per site (the site page's own query). */
function useSiteNames(client: Pick<CanopyClient, "sites">, ids: string[]): Map<string, string> {
  const distinct = [...new Set(ids.filter(Boolean))];
  return useQueries({
    queries: distinct.map((siteId) => ({ ...siteQueries.detail(client, siteId), refetchInterval: false as const, staleTime: 5 * 60_000 })),
    combine: (results) => new Map(results.flatMap((r, i) => (r.data ? [[distinct[i]!, r.data.name] as const] : []))),
  });
}

export function IntegrationsList({ client }: IntegrationsListProps) {
  const [filters, setFilters] = useSearchFilters(FILTERS);
  const request = { customerId: filters.customer, siteId: "", platform: platformFromName(filters.platform), health: healthFromName(filters.health) };
  const filtered = Object.values(filters).some(Boolean);
  const { pages, query: list } = usePagedList(request, (r) => integrationQueries.list(client, r));
  const rows = list.data?.integrations ?? [];
  const customers = useCustomerNames(client, rows.map((i) => i.customerId));
  const siteNames = useSiteNames(client, rows.map((i) => i.siteId));

  return (
    <div className="flex flex-col gap-4">
      <div role="search" aria-label="Filter integrations" className="flex flex-wrap items-end gap-3 max-sm:flex-col max-sm:items-stretch">
        <div className="min-w-40">
          <CustomerSelect client={client} value={filters.customer} onChange={(customer) => setFilters({ customer })} />
        </div>
        <div className="min-w-40">
          <SelectField label="Platform" value={filters.platform} placeholder="All platforms" options={PLATFORM_FILTERS} onChange={(e) => setFilters({ platform: e.target.value })} />
        </div>
        <div className="min-w-40">
          <SelectField label="Health" value={filters.health} placeholder="Any health" options={HEALTH_FILTERS} onChange={(e) => setFilters({ health: e.target.value })} />
        </div>
        {filtered && (
          <Button variant="secondary" onClick={() => setFilters({ customer: "", platform: "", health: "" })}>
            Clear filters
          </Button>
        )}
      </div>
      <Card>
        {list.isPending ? (
          <Spinner label="Loading integrations" />
        ) : list.isError ? (
          <Alert tone="danger">{errorMessage(list.error)}</Alert>
        ) : rows.length === 0 ? (
          <EmptyState
            title={filtered ? "No integrations match" : "No integrations yet"}
            description={filtered ? "Try other filters." : "Customers connect their sites to Shopify, WooCommerce or BigCommerce stores from a site's E-commerce page."}
          />
        ) : (
          <>
            <Table aria-label="Integrations">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Customer</th>
                  <th>Site</th>
                  <th>Store</th>
                  <th>Health</th>
                  <th>Last check</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((i) => (
                  <tr key={i.id}>
                    <td>
                      <span className="block font-semibold">{i.displayName || i.storeName || i.store}</span>
                      <span className="text-sm text-muted">{platformLabel(i.platform)}</span>
                    </td>
                    <td>
                      <Link to={`/customers/${i.customerId}`}>{customers.get(i.customerId) ?? "Customer"}</Link>
                    </td>
                    <td>
                      <Link to={`/sites/${i.siteId}`}>{siteNames.get(i.siteId) ?? "Site"}</Link>
                    </td>
                    <td>
                      <span className="block break-all">{i.store}</span>
                      {i.storeName && <span className="text-sm text-muted">{i.storeName}</span>}
                    </td>
                    <td>
                      <HealthBadge health={i.health} />
                      {i.message && (
                        <span className={`mt-1 block text-sm break-words ${i.health === commerce.IntegrationHealth.UNHEALTHY ? "text-danger" : "text-muted"}`}>
                          {causeLabel(i.cause) ? `${causeLabel(i.cause)}: ` : ""}
                          {i.message}
                        </span>
                      )}
                    </td>
                    <td title={formatDateTime(i.lastCheckTime)}>{timeInWords(i.lastCheckTime, "Never")}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
            <Pager pages={pages} page={list.data.page} noun={["integration", "integrations"]} loading={list.isPlaceholderData} label="Integration pages" />
          </>
        )}
      </Card>
    </div>
  );
}
