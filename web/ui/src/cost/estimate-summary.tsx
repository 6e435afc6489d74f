//! An estimate as people read it: the monthly and hourly totals, each line (a
//! usage-based line marked as an assumption, with the assumption in words), the
//! price snapshot's date — flagged when it is stale —, free and unpriced resources.
import type { cost } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { StatusBadge } from "../components/status-badge";
import { Table } from "../components/table";
import { dayLabel, formatMicros } from "./cost-words";

export interface EstimateSummaryProps {
  estimate: cost.Estimate;
  /** The lines' table name where a page has more than one: "Estimate lines". */
  linesLabel?: string;
  /** Show the lines (a compact form shows the totals only). */
  lines?: boolean;
}

/** "Prices of 1 Dec 2026" and, when stale, a warning. */
export function SnapshotNote({ estimate }: { estimate: Pick<cost.Estimate, "priceSnapshotDate" | "priceSnapshotStale"> }) {
  return (
    <p className="m-0 flex flex-wrap items-center gap-2 text-sm text-muted">
      <span>List prices of {dayLabel(estimate.priceSnapshotDate)}.</span>
      {estimate.priceSnapshotStale && <StatusBadge label="Prices may be out of date" tone="warning" />}
    </p>
  );
}

export function EstimateSummary({ estimate, linesLabel = "Estimate lines", lines = true }: EstimateSummaryProps) {
  const currency = estimate.currencyCode;
  return (
    <div className="flex flex-col gap-3">
      <p className="m-0 flex flex-wrap items-baseline gap-x-4 gap-y-1">
        <span>
          <strong className="text-2xl">{formatMicros(estimate.monthlyMicros, currency)}</strong> <span className="text-muted">a month</span>
        </span>
        <span>
          <strong>{formatMicros(estimate.hourlyMicros, currency, { precise: true })}</strong> <span className="text-muted">an hour</span>
        </span>
      </p>
      <SnapshotNote estimate={estimate} />
      {estimate.priceSnapshotStale && (
        <Alert title="The price snapshot is old">These list prices were read on {dayLabel(estimate.priceSnapshotDate)}; the clouds may have changed them since.</Alert>
      )}
      {lines && estimate.lines.length > 0 && (
        <Table aria-label={linesLabel}>
          <thead>
            <tr>
              <th>What</th>
              <th>Per month</th>
              <th>Per hour</th>
            </tr>
          </thead>
          <tbody>
            {estimate.lines.map((line, i) => (
              <tr key={`${line.address}-${i}`}>
                <td>
                  <span className="block">{line.description || line.resourceType}</span>
                  {line.usageAssumption && (
                    <span className="mt-1 flex flex-wrap items-center gap-2 text-sm text-muted">
                      <StatusBadge label="Usage assumption" tone="neutral" />
                      {line.assumption && <span>Assumes {line.assumption}</span>}
                    </span>
                  )}
                </td>
                <td>{formatMicros(line.monthlyMicros, currency)}</td>
                <td>{line.usageAssumption && line.hourlyMicros === 0n ? "Usage-based" : formatMicros(line.hourlyMicros, currency, { precise: true })}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {(estimate.freeResources > 0 || estimate.unpricedResourceTypes.length > 0) && (
        <p className="m-0 text-sm text-muted">
          {estimate.freeResources > 0 && `${estimate.freeResources} ${estimate.freeResources === 1 ? "resource costs" : "resources cost"} nothing by itself (networks, rules, roles). `}
          {estimate.unpricedResourceTypes.length > 0 && `Not priced, so left out of the total: ${estimate.unpricedResourceTypes.join(", ")}.`}
        </p>
      )}
    </div>
  );
}
