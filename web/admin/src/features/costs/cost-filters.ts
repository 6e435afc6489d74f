//! The cost dashboard's filters, kept in the URL: a period (a preset, or custom
//! `from`/`to` days), a customer and a provider; and what they mean for the API —
//! the `CostFilter`, and days or months by the range's length.
import { cost } from "@canopy/sdk";
import { addDays, daysBetween, isoDay, useSearchFilters } from "@canopy/ui";

export const COST_FILTER_KEYS = ["period", "from", "to", "customer", "provider"] as const;
export type CostFilterValues = Record<(typeof COST_FILTER_KEYS)[number], string>;

export const PERIODS: { value: string; label: string }[] = [
  { value: "", label: "This month" },
  { value: "last-month", label: "Last month" },
  { value: "30d", label: "Last 30 days" },
  { value: "90d", label: "Last 90 days" },
  { value: "12m", label: "Last 12 months" },
  { value: "custom", label: "Custom dates" },
];

/** Ranges longer than this are shown month by month. */
const DAILY_UP_TO_DAYS = 92;

/** The first and last day ("YYYY-MM-DD", UTC like the API's days) of `values`' period on `today`. */
export function periodRange(values: Pick<CostFilterValues, "period" | "from" | "to">, today = new Date()): { startDate: string; endDate: string } {
  const end = isoDay(today);
  const monthStart = `${end.slice(0, 7)}-01`;
  switch (values.period) {
    case "last-month": {
      const lastDay = addDays(monthStart, -1);
      return { startDate: `${lastDay.slice(0, 7)}-01`, endDate: lastDay };
    }
    case "30d":
      return { startDate: addDays(end, -29), endDate: end };
    case "90d":
      return { startDate: addDays(end, -89), endDate: end };
    case "12m": {
      const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 11, 1));
      return { startDate: isoDay(d), endDate: end };
    }
    case "custom":
      return { startDate: values.from || monthStart, endDate: values.to || end };
    default:
      return { startDate: monthStart, endDate: end };
  }
}

export function granularityOf(range: { startDate: string; endDate: string }): cost.Granularity {
  return daysBetween(range.startDate, range.endDate) > DAILY_UP_TO_DAYS ? cost.Granularity.MONTH : cost.Granularity.DAY;
}

/** The URL's filters, and the API's `CostFilter` they make. */
export function useCostFilters(today?: Date) {
  const [values, setValues] = useSearchFilters(COST_FILTER_KEYS);
  const range = periodRange(values, today);
  const filter = { customerId: values.customer, provider: Number(values.provider || 0), ...range };
  return { values, setValues, range, filter, granularity: granularityOf(range) };
}
