import { Link } from "react-router";
import { StatusBadge, type StatusTone } from "@canopy/ui";

export interface CountRow {
  label: string;
  tone: StatusTone;
  count: bigint | number;
  /** Where the counted things are listed. */
  to?: string;
}

export interface StatusCountsProps {
  /** The whole, shown large: "14" … */
  total: bigint;
  /** … and what it counts: "sites". */
  caption: string;
  /** Where the whole is listed. */
  totalTo?: string;
  rows: CountRow[];
  /** The list's accessible name, e.g. "Sites by status". */
  "aria-label": string;
}

/** A total, then statuses beside their counts, each count linking to the list it counts. */
export function StatusCounts({ total, caption, totalTo, rows, "aria-label": label }: StatusCountsProps) {
  const number = total.toLocaleString();
  return (
    <div className="flex flex-col gap-3">
      <p className="m-0">
        {totalTo ? (
          <Link to={totalTo} className="text-2xl font-semibold">
            {number}
          </Link>
        ) : (
          <span className="text-2xl font-semibold">{number}</span>
        )}{" "}
        {caption}
      </p>
      <CountList rows={rows} aria-label={label} />
    </div>
  );
}

function CountList({ rows, "aria-label": label }: { rows: CountRow[]; "aria-label": string }) {
  return (
    <ul aria-label={label} className="m-0 flex list-none flex-col gap-2 p-0">
      {rows.map((row) => (
        <li key={row.label} className="flex items-center justify-between gap-3">
          <StatusBadge label={row.label} tone={row.tone} />
          {row.to ? (
            <Link to={row.to} className="text-lg font-semibold" aria-label={`${row.count.toLocaleString()} ${row.label}`}>
              {row.count.toLocaleString()}
            </Link>
          ) : (
            <span className="text-lg font-semibold">{row.count.toLocaleString()}</span>
          )}
        </li>
      ))}
    </ul>
  );
}
