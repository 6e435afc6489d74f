//! Audit events as a table, newest first: when, whose chain, who, what, how it
//! ended, from where and which service recorded it; each row opens its details
//! (the request summary, the resources, the trace, its place in the chain).
import { Fragment, type ReactNode, useState } from "react";
import type { audit } from "@canopy/sdk";
import { Button } from "../components/button";
import { DescriptionList } from "../components/description-list";
import { Table } from "../components/table";
import { UrlText } from "../components/url-text";
import { formatDateTime, toDate } from "../sites/time-in-words";
import { actorKindLabel, readableAction } from "./audit-words";
import { OutcomeBadge } from "./outcome-badge";

export interface AuditEventTableProps {
  events: audit.AuditEvent[];
  /** Shows a Customer column: the customer of an event ("" is the platform's chain). Absent: no such column (a customer's own trail). */
  customer?: (customerId: string) => ReactNode;
}

/** The summary pretty-printed when it is JSON, else as stored. */
function prettyJson(json: string): string {
  if (!json) return "";
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

function EventDetails({ event }: { event: audit.AuditEvent }) {
  const record = event.record;
  const summary = prettyJson(record?.summaryJson ?? "");
  return (
    <div className="flex flex-col gap-3" role="region" aria-label={`Details of event ${event.sequence}`}>
      <DescriptionList>
        <dt>Event id</dt>
        <dd className="font-mono">{record?.id}</dd>
        <dt>Action</dt>
        <dd className="font-mono">{record?.action}</dd>
        <dt>Resources</dt>
        <dd className="font-mono">{record?.resourceIds.length ? record.resourceIds.join(", ") : "—"}</dd>
        <dt>Trace id</dt>
        <dd className="font-mono">{record?.traceId || "—"}</dd>
        <dt>User agent</dt>
        <dd>{record?.userAgent || "—"}</dd>
        <dt>Sequence</dt>
        <dd>{String(event.sequence)}</dd>
        <dt>Hash</dt>
        <dd className="font-mono break-all">{event.hash}</dd>
        <dt>Previous hash</dt>
        <dd className="font-mono break-all">{event.previousHash}</dd>
        <dt>Appended</dt>
        <dd>{formatDateTime(event.appendTime)}</dd>
      </DescriptionList>
      <div>
        <strong className="block">Request summary</strong>
        {summary ? (
          <pre className="m-0 max-h-80 overflow-auto rounded-brand border border-line bg-canvas p-3 font-mono text-sm" tabIndex={0} aria-label="Request summary">
            {summary}
          </pre>
        ) : (
          <span className="text-muted">None recorded.</span>
        )}
      </div>
    </div>
  );
}

export function AuditEventTable({ events, customer }: AuditEventTableProps) {
  const [open, setOpen] = useState<string>();
  const columns = customer ? 8 : 7;
  return (
    <Table aria-label="Audit events">
      <thead>
        <tr>
          <th>Time</th>
          {customer && <th>Customer</th>}
          <th>Actor</th>
          <th>Action</th>
          <th>Outcome</th>
          <th>Origin</th>
          <th>Service</th>
          <th>
            <span className="sr-only">Details</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => {
          const record = event.record;
          const key = record?.id || String(event.sequence);
          const occurred = toDate(record?.occurTime);
          const action = readableAction(record?.action ?? "");
          return (
            <Fragment key={key}>
              <tr>
                <td>
                  <time dateTime={occurred?.toISOString()}>{formatDateTime(record?.occurTime)}</time>
                </td>
                {customer && <td>{record?.customerId ? customer(record.customerId) : "Platform"}</td>}
                <td>
                  <span className="block">
                    {actorKindLabel(record?.actor?.kind ?? 0)}
                    {record?.actor?.role && <span className="text-muted"> · {record.actor.role}</span>}
                  </span>
                  {record?.actor?.id && <code className="font-mono text-sm break-all">{record.actor.id}</code>}
                </td>
                <td>
                  <code className="font-mono" title={record?.action}>
                    <UrlText text={action} />
                  </code>
                </td>
                <td>
                  <OutcomeBadge outcome={record?.outcome} />
                </td>
                <td>{record?.originAddress ? <UrlText text={record.originAddress} /> : "—"}</td>
                <td>{record?.service || "—"}</td>
                <td>
                  <Button variant="secondary" aria-expanded={open === key} aria-label={`${open === key ? "Hide details" : "Details"} of ${action} at ${formatDateTime(record?.occurTime)}`} onClick={() => setOpen(open === key ? undefined : key)}>
                    {open === key ? "Hide" : "Details"}
                  </Button>
                </td>
              </tr>
              {open === key && (
                <tr>
                  <td colSpan={columns}>
                    <EventDetails event={event} />
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </Table>
  );
}
