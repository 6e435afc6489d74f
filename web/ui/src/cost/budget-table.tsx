//! Budgets and where each stands this month: the amount, what is used (a bar and
//! the percentage), the forecast for the month, the thresholds that fired.
import type { ReactNode } from "react";
import type { cost } from "@canopy/sdk";
import { Progress } from "../components/spinner";
import { StatusBadge } from "../components/status-badge";
import { Table } from "../components/table";
import { moneyText } from "../policy/policy-words";
import { formatDateTime } from "../sites/time-in-words";
import { formatMicros, formatPercent, thresholdText } from "./cost-words";

export interface BudgetTableProps {
  budgets: cost.Budget[];
  /** The budget's name cell (a link, or plain). */
  name?: (b: cost.Budget) => ReactNode;
  /** A customer column (the platform's view across customers). */
  customer?: (b: cost.Budget) => ReactNode;
  /** What the budget covers when it names a site. */
  site?: (b: cost.Budget) => ReactNode;
  /** A last column of actions. */
  actions?: (b: cost.Budget) => ReactNode;
  "aria-label"?: string;
}

/** The budget's currency: its amount's. */
const currencyOf = (b: cost.Budget) => b.spec?.amount?.currencyCode || "USD";

export function BudgetUse({ budget }: { budget: cost.Budget }) {
  const status = budget.status;
  if (!status) return <span className="text-muted">Not evaluated yet</span>;
  const percent = status.percentUsed;
  return (
    <div className="flex min-w-36 flex-col gap-1">
      <span>
        {formatMicros(status.actualMicros, currencyOf(budget))} · <strong className={percent >= 100 ? "text-danger" : percent >= 80 ? "text-warning" : ""}>{formatPercent(percent)}</strong>
      </span>
      <Progress label={`${budget.spec?.name ?? "Budget"}: ${formatPercent(percent)} used`} value={Math.min(100, Math.max(0, percent))} />
    </div>
  );
}

export function FiredThresholds({ fired }: { fired: cost.FiredThreshold[] }) {
  if (fired.length === 0) return <span className="text-muted">None</span>;
  return (
    <ul className="m-0 flex list-none flex-wrap gap-1 p-0" aria-label="Fired thresholds">
      {fired.map((f, i) => (
        <li key={i} title={`Fired ${formatDateTime(f.fireTime)}`}>
          <StatusBadge label={thresholdText(f.threshold)} tone={(f.threshold?.percent ?? 0) >= 100 ? "danger" : "warning"} />
        </li>
      ))}
    </ul>
  );
}

export function BudgetTable({ budgets, name, customer, site, actions, "aria-label": label = "Budgets" }: BudgetTableProps) {
  return (
    <Table aria-label={label}>
      <thead>
        <tr>
          <th>Budget</th>
          {customer && <th>Customer</th>}
          <th>Per month</th>
          <th>Used this month</th>
          <th>Forecast</th>
          <th>Fired</th>
          {actions && <th>Actions</th>}
        </tr>
      </thead>
      <tbody>
        {budgets.map((b) => (
          <tr key={b.id}>
            <td>
              <span className="block font-semibold">{name ? name(b) : b.spec?.name}</span>
              <span className="text-sm text-muted">{b.spec?.siteId ? (site ? site(b) : `Site ${b.spec.siteId}`) : "All sites"}</span>
            </td>
            {customer && <td>{customer(b)}</td>}
            <td>{moneyText(b.spec?.amount)}</td>
            <td>
              <BudgetUse budget={b} />
            </td>
            <td>{b.status?.forecastMicros !== undefined ? formatMicros(b.status.forecastMicros, currencyOf(b)) : <span className="text-muted">No forecast</span>}</td>
            <td>
              <FiredThresholds fired={b.status?.fired ?? []} />
            </td>
            {actions && <td>{actions(b)}</td>}
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
