//! A page of alerts: name and summary, severity, state, the customer (where the
//! reader sees several), the other labels as matcher text, start and end.
import type { ReactNode } from "react";
import type { alerts } from "@canopy/sdk";
import { Table } from "../components/table";
import { formatDateTime, timeInWords } from "../sites/time-in-words";
import { LabelChips } from "./label-chips";
import { AlertStateBadge, SeverityBadge } from "./severity-badge";

export interface AlertTableProps {
  alerts: alerts.Alert[];
  /** The customer column's cell; no column when absent (a customer reading their own). */
  customer?: (alert: alerts.Alert) => ReactNode;
  /** Actions on one alert (e.g. "Silence"); no column when absent. */
  actions?: (alert: alerts.Alert) => ReactNode;
}

export function AlertTable({ alerts: rows, customer, actions }: AlertTableProps) {
  return (
    <Table aria-label="Alerts">
      <thead>
        <tr>
          <th>Alert</th>
          <th>Severity</th>
          <th>State</th>
          {customer && <th>Customer</th>}
          <th>Labels</th>
          <th>Started</th>
          <th>Ends</th>
          {actions && (
            <th>
              <span className="sr-only">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {rows.map((alert) => (
          <tr key={`${alert.id}-${alert.startTime?.seconds ?? 0n}`}>
            <td>
              <span className="font-semibold">{alert.labels.alertname || alert.id}</span>
              {alert.annotations.summary && <span className="block text-sm text-muted">{alert.annotations.summary}</span>}
            </td>
            <td>
              <SeverityBadge severity={alert.labels.severity ?? ""} />
            </td>
            <td>
              <AlertStateBadge state={alert.state} />
            </td>
            {customer && <td>{alert.customerId ? customer(alert) : "Platform"}</td>}
            <td>
              <LabelChips labels={alert.labels} omit={["alertname", "severity", "customer_id"]} label={`Labels of ${alert.labels.alertname || alert.id}`} />
            </td>
            <td>
              <span title={formatDateTime(alert.startTime)}>{timeInWords(alert.startTime)}</span>
            </td>
            <td>{alert.endTime ? <span title={formatDateTime(alert.endTime)}>{timeInWords(alert.endTime)}</span> : "Not yet"}</td>
            {actions && <td>{actions(alert)}</td>}
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
