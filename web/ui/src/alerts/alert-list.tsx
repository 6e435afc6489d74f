//! Alerts with their filters in the URL (`?state=`, `?alertname=`, and the
//! customer where the portal offers it), paged.
import type { ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { EmptyState } from "../components/empty-state";
import { SelectField } from "../components/text-field";
import { Spinner } from "../components/spinner";
import { FilterBar } from "../filters/filter-bar";
import { useSearchFilters } from "../filters/use-search-filters";
import { Pager } from "../paging/pager";
import { usePageTokens } from "../paging/use-page-tokens";
import { errorMessage } from "../session/error-message";
import { ALERT_STATE_FILTERS, ALERT_STATE_FILTERS_ALL_FIRST } from "./alert-words";
import { type AlertFilterValues, alertQueries } from "./alert-queries";
import { AlertTable, type AlertTableProps } from "./alert-table";

export const ALERT_FILTER_KEYS = ["state", "alertname", "customer"] as const;

export interface AlertListProps extends Pick<AlertTableProps, "customer" | "actions"> {
  client: Pick<CanopyClient, "alerts">;
  /** A customer filter control (admins), given the chosen id and how to change it. */
  customerFilter?: (value: string, onChange: (customerId: string) => void) => ReactNode;
  /** What an empty first page says when nothing is filtered. */
  emptyDescription?: string;
  /** Both states unless the reader asks for one (a customer's recent alerts); firing only otherwise. */
  allByDefault?: boolean;
}

export function AlertList({ client, customer, actions, customerFilter, emptyDescription = "Nothing is firing.", allByDefault = false }: AlertListProps) {
  const [filters, setFilters] = useSearchFilters(ALERT_FILTER_KEYS);
  const values: AlertFilterValues = { allByDefault, state: filters.state, alertname: filters.alertname, customer: customerFilter ? filters.customer : "" };
  const pages = usePageTokens(JSON.stringify(values));
  const list = useQuery(alertQueries.list(client, values, pages.pageToken));
  const filtered = Boolean(values.state || values.alertname || values.customer);
  return (
    <div className="flex flex-col gap-3">
      <FilterBar
        label="Filter alerts"
        searchLabel="Alert name"
        searchPlaceholder="e.g. site_failed"
        search={values.alertname}
        onSearch={(alertname) => setFilters({ alertname })}
        filtered={filtered}
        onClear={() => setFilters({ state: "", alertname: "", customer: "" })}
        busy={list.isFetching && list.isPlaceholderData}
      >
        <SelectField label="State" value={values.state} options={allByDefault ? ALERT_STATE_FILTERS_ALL_FIRST : ALERT_STATE_FILTERS} onChange={(e) => setFilters({ state: e.target.value })} />
        {customerFilter?.(values.customer, (customerId) => setFilters({ customer: customerId }))}
      </FilterBar>
      {list.isPending ? (
        <Spinner label="Loading alerts" />
      ) : list.isError ? (
        <Alert tone="danger">{errorMessage(list.error)}</Alert>
      ) : list.data.alerts.length === 0 ? (
        <EmptyState title={filtered ? "No alerts match" : "No alerts"} description={filtered ? "Change or clear the filters." : emptyDescription} />
      ) : (
        <>
          <AlertTable alerts={list.data.alerts} customer={customer} actions={actions} />
          <Pager pages={pages} page={list.data.page} noun={["alert", "alerts"]} loading={list.isPlaceholderData} label="Alert pages" />
        </>
      )}
    </div>
  );
}
