//! A page of the audit trail for the filters given: ListAuditEvents with
//! Previous/Next, loading, failing and empty states.
import type { ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { EmptyState } from "../components/empty-state";
import { Spinner } from "../components/spinner";
import { Pager } from "../paging/pager";
import { usePageTokens } from "../paging/use-page-tokens";
import { errorMessage } from "../session/error-message";
import { type AuditFilterValues, isFiltered } from "./audit-filters";
import { AuditEventTable } from "./audit-event-table";
import { auditQueries } from "./audit-queries";

export interface AuditEventListProps {
  client: Pick<CanopyClient, "audit">;
  filters: AuditFilterValues;
  /** See `AuditEventTable`. */
  customer?: (customerId: string) => ReactNode;
  pageSize?: number;
}

export function AuditEventList({ client, filters, customer, pageSize }: AuditEventListProps) {
  const pages = usePageTokens(JSON.stringify(filters));
  const list = useQuery(auditQueries.list(client, filters, pages.pageToken, pageSize));
  if (list.isPending) return <Spinner label="Loading audit events" />;
  if (list.isError) return <Alert tone="danger">{errorMessage(list.error)}</Alert>;
  if (list.data.events.length === 0) {
    const filtered = isFiltered(filters);
    return <EmptyState title={filtered ? "No events match" : "No events yet"} description={filtered ? "Try other filters." : "Changes appear here within seconds of being made."} />;
  }
  return (
    <>
      <AuditEventTable events={list.data.events} customer={customer} />
      <Pager pages={pages} page={list.data.page} noun={["event", "events"]} loading={list.isPlaceholderData} />
    </>
  );
}
