import { Link } from "react-router";
import type { sites } from "@canopy/sdk";
import { StatusBadge, Table, siteStatus } from "@canopy/ui";
import { formatDate } from "../../../lib/time";
import { providerLabel } from "../site-filters";

export interface SitesTableProps {
  sites: sites.Site[];
  /** Customer names by id; without it the customer column is left out. */
  customerNames?: Map<string, string>;
  "aria-label": string;
}

/** Sites with their status, each linking to its page (and to its customer's). */
export function SitesTable({ sites: rows, customerNames, "aria-label": label }: SitesTableProps) {
  return (
    <Table aria-label={label}>
      <thead>
        <tr>
          <th>Name</th>
          {customerNames && <th>Customer</th>}
          <th>Provider</th>
          <th>Region</th>
          <th>Status</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((s) => {
          const status = siteStatus(s.status);
          return (
            <tr key={s.id}>
              <td>
                <Link to={`/sites/${s.id}`}>{s.name}</Link>
              </td>
              {customerNames && (
                <td>
                  <Link to={`/customers/${s.customerId}`}>{customerNames.get(s.customerId) ?? "Customer"}</Link>
                </td>
              )}
              <td>{providerLabel(s.provider)}</td>
              <td>{s.region}</td>
              <td>
                <span className="flex flex-wrap gap-1">
                  <StatusBadge label={status.label} tone={status.tone} />
                  {s.sandbox && <StatusBadge label="Sandbox" tone="neutral" />}
                </span>
              </td>
              <td>
                {formatDate(s.createTime)}
              </td>
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}
