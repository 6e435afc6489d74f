//! Customers with search, status and plan filters (kept in the URL: `?q=`,
//! `?status=`, `?plan=`) and paging.
import { Link } from "react-router";
import type { CanopyClient } from "@canopy/sdk";
import { Table, Pager, Alert, Card, FilterBar, EmptyState, errorMessage, SelectField, Spinner, StatusBadge, useSearchFilters } from "@canopy/ui";
import { usePagedList } from "../../../hooks/use-paged-list";
import { customerQueries } from "../../../lib/customer-queries";
import { formatDate } from "../../../lib/time";
import { STATUS_FILTERS, customerStatus, statusFromName } from "../../../lib/customer-status";
import { usePlans } from "../api/plans";

const FILTERS = ["q", "status", "plan"] as const;

export interface CustomersListProps {
  client: Pick<CanopyClient, "customers" | "plans">;
}

export function CustomersList({ client }: CustomersListProps) {
  const [filters, setFilters] = useSearchFilters(FILTERS);
  const request = { search: filters.q, status: statusFromName(filters.status), planId: filters.plan };
  const filtered = Boolean(filters.q || filters.status || filters.plan);
  const { pages, query: list } = usePagedList(request, (r) => customerQueries.list(client, r));
  const plans = usePlans(client);
  const planName = (planId: string) => plans.data?.find((p) => p.planId === planId)?.displayName || planId || "—";
  const planOptions = (plans.data ?? []).map((p) => ({ value: p.planId, label: p.displayName || p.planId }));
  if (filters.plan && !planOptions.some((o) => o.value === filters.plan)) planOptions.push({ value: filters.plan, label: filters.plan });

  return (
    <div className="flex flex-col gap-4">
      <FilterBar
        label="Filter customers"
        searchLabel="Search customers"
        search={filters.q}
        onSearch={(q) => setFilters({ q, created: "" })}
        filtered={filtered}
        onClear={() => setFilters({ q: "", status: "", plan: "", created: "" })}
      >
        <SelectField
          label="Status"
          value={filters.status}
          placeholder="All statuses"
          options={STATUS_FILTERS.map((f) => ({ value: f.name, label: f.label }))}
          onChange={(e) => setFilters({ status: e.target.value, created: "" })}
        />
        <SelectField
          label="Plan"
          value={filters.plan}
          placeholder="All plans"
          options={planOptions}
          hint={plans.isError ? "The plans could not be loaded." : undefined}
          onChange={(e) => setFilters({ plan: e.target.value, created: "" })}
        />
      </FilterBar>
      <Card>
        {list.isPending ? (
          <Spinner label="Loading customers" />
        ) : list.isError ? (
          <Alert tone="danger">{errorMessage(list.error)}</Alert>
        ) : list.data.customers.length === 0 ? (
          <EmptyState
            title={filtered ? "No customers match" : "No customers yet"}
            description={filtered ? "Try another search or other filters." : "Create the first customer and invite its owner."}
          />
        ) : (
          <>
            <Table aria-label="Customers">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th>Plan</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {list.data.customers.map((c) => {
                  const status = customerStatus(c.status);
                  return (
                    <tr key={c.id}>
                      <td>
                        <Link to={`/customers/${c.id}`}>{c.name}</Link>
                      </td>
                      <td>
                        <StatusBadge label={status.label} tone={status.tone} />
                      </td>
                      <td>{planName(c.planId)}</td>
                      <td>
                        {formatDate(c.createTime)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </Table>
            <Pager pages={pages} page={list.data.page} noun={["customer", "customers"]} loading={list.isPlaceholderData} />
          </>
        )}
      </Card>
    </div>
  );
}
