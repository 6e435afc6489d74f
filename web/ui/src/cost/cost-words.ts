//! Costs in words: micros (millionths of the currency unit, as the cost API sends
//! every amount) as money in the reader's locale — to the cent, or finer for hourly
//! prices —, percentages and changes, days and months, and the cost API's enums
//! (layers, forecast methods, account and run states, threshold bases).
import { cost } from "@canopy/sdk";
import type { StatusTone } from "../components/status-badge";

const MICROS_PER_UNIT = 1_000_000;

/** The currency's own digits (2 for USD and EUR, 0 for JPY); 2 when the code is unknown. */
function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Micros as a number of currency units (exact below 9 billion units, far beyond a site's cost). */
export const microsToUnits = (micros: bigint | number): number => Number(micros) / MICROS_PER_UNIT;

export interface MoneyFormat {
  /** Sub-cent precision (up to 4 decimals), for hourly prices: "$0.0125". */
  precise?: boolean;
  /** Short, for chart axes: "$1.2K". */
  compact?: boolean;
}

/**
 * `micros` of `currency` as money in the reader's locale: "$1,250.50", hourly
 * "$0.0125", compact "$1.2K". An unknown currency code reads "1,250.50 XYZ".
 */
export function formatMicros(micros: bigint | number, currency: string, { precise = false, compact = false }: MoneyFormat = {}): string {
  const units = microsToUnits(micros);
  const digits = currencyDigits(currency || "USD");
  const fraction = compact ? { maximumFractionDigits: 1 } : { minimumFractionDigits: digits, maximumFractionDigits: precise ? Math.max(digits, 4) : digits };
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "USD", notation: compact ? "compact" : "standard", ...fraction }).format(units);
  } catch {
    return `${new Intl.NumberFormat(undefined, { notation: compact ? "compact" : "standard", ...fraction }).format(units)} ${currency}`;
  }
}

/** "12.5 %" (one decimal at most). */
export const formatPercent = (percent: number): string => `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(percent)} %`;

/** A change against the previous period: "up 12.5 %", "down 3 %", "no change"; undefined when there is nothing to compare with. */
export function changeInWords(percent: number | undefined): string | undefined {
  if (percent === undefined || Number.isNaN(percent)) return undefined;
  if (Math.abs(percent) < 0.05) return "no change";
  return `${percent > 0 ? "up" : "down"} ${formatPercent(Math.abs(percent))}`;
}

/** The signed error of an estimate: "+8.2 % (over)", "−4 % (under)". */
export function errorInWords(percent: number): string {
  if (Math.abs(percent) < 0.05) return "0 % (exact)";
  return `${percent > 0 ? "+" : "−"}${formatPercent(Math.abs(percent))} (${percent > 0 ? "estimate over" : "estimate under"} the actual cost)`;
}

const utc = (text: string): Date | undefined => {
  const match = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(text);
  if (!match) return undefined;
  return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3] ?? "1")));
};

/** "2026-12-07" → "7 Dec 2026" (the reader's locale; the day as the API means it, in UTC). */
export function dayLabel(date: string, { year = true }: { year?: boolean } = {}): string {
  const d = utc(date);
  if (!d) return date || "—";
  return d.toLocaleDateString(undefined, { day: "numeric", month: "short", year: year ? "numeric" : undefined, timeZone: "UTC" });
}

/** "2026-12" (or a month's first day) → "December 2026"; `short`: "Dec 2026". */
export function monthLabel(month: string, { short = false }: { short?: boolean } = {}): string {
  const d = utc(month);
  if (!d) return month || "—";
  return d.toLocaleDateString(undefined, { month: short ? "short" : "long", year: "numeric", timeZone: "UTC" });
}

/** Today as the API's date ("YYYY-MM-DD"), in UTC like its days. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The day `days` after `date` ("YYYY-MM-DD"; negative for before). */
export function addDays(date: string, days: number): string {
  const d = utc(date) ?? new Date();
  d.setUTCDate(d.getUTCDate() + days);
  return isoDay(d);
}

/** Days from `start` to `end`, both included. */
export function daysBetween(start: string, end: string): number {
  const a = utc(start);
  const b = utc(end);
  if (!a || !b) return 0;
  return Math.round((b.getTime() - a.getTime()) / 86_400_000) + 1;
}

const LAYER: Record<cost.CostLayer, string> = {
  [cost.CostLayer.UNSPECIFIED]: "Accrued",
  [cost.CostLayer.ESTIMATED]: "Estimated",
  [cost.CostLayer.ACCRUED]: "Accrued",
  [cost.CostLayer.INVOICED]: "Invoiced",
};
export const layerLabel = (layer: cost.CostLayer): string => LAYER[layer] ?? "Unknown";

const LAYER_MEANING: Record<cost.CostLayer, string> = {
  [cost.CostLayer.UNSPECIFIED]: "",
  [cost.CostLayer.ESTIMATED]: "From the plan and list prices, for the whole month.",
  [cost.CostLayer.ACCRUED]: "What the cloud reports day by day; restated for a few days after.",
  [cost.CostLayer.INVOICED]: "Invoice lines: final, once the month has closed.",
};
export const layerMeaning = (layer: cost.CostLayer): string => LAYER_MEANING[layer] ?? "";

const METHOD: Record<cost.ForecastMethod, string> = {
  [cost.ForecastMethod.UNSPECIFIED]: "No forecast",
  [cost.ForecastMethod.RUN_RATE]: "Run rate (the mean daily cost of the last days)",
  [cost.ForecastMethod.SEASONAL]: "Weekday-seasonal (each weekday's mean over four weeks)",
};
export const forecastMethodLabel = (method: cost.ForecastMethod): string => METHOD[method] ?? METHOD[cost.ForecastMethod.UNSPECIFIED];

/** Why a forecast is missing, in words, whatever the server said. */
export function noForecastReason(forecast: Pick<cost.GetCostForecastResponse, "reason" | "daysOfData">): string {
  const reason = forecast.reason.trim();
  if (reason) return reason[0]!.toUpperCase() + reason.slice(1);
  return `Not enough data yet: ${forecast.daysOfData} ${forecast.daysOfData === 1 ? "day" : "days"} of costs, and a forecast needs at least 3.`;
}

const ACCOUNT: Record<cost.AccountStatus, [string, StatusTone]> = {
  [cost.AccountStatus.UNSPECIFIED]: ["Not collected yet", "neutral"],
  [cost.AccountStatus.OK]: ["OK", "success"],
  [cost.AccountStatus.REFUSED]: ["Credentials refused", "danger"],
  [cost.AccountStatus.THROTTLED]: ["Throttled", "warning"],
  [cost.AccountStatus.FAILING]: ["Failing", "danger"],
};
export function accountStatus(status: cost.AccountStatus): { label: string; tone: StatusTone } {
  const [label, tone] = ACCOUNT[status] ?? ACCOUNT[cost.AccountStatus.UNSPECIFIED];
  return { label, tone };
}

const RUN: Record<cost.RunState, [string, StatusTone]> = {
  [cost.RunState.UNSPECIFIED]: ["Unknown", "neutral"],
  [cost.RunState.QUEUED]: ["Queued", "progress"],
  [cost.RunState.RUNNING]: ["Running", "progress"],
  [cost.RunState.SUCCEEDED]: ["Succeeded", "success"],
  [cost.RunState.FAILED]: ["Failed", "danger"],
};
export function runState(state: cost.RunState): { label: string; tone: StatusTone } {
  const [label, tone] = RUN[state] ?? RUN[cost.RunState.UNSPECIFIED];
  return { label, tone };
}

export const BASIS_CHOICES: { value: string; label: string }[] = [
  { value: String(cost.ThresholdBasis.ACTUAL), label: "Actual cost" },
  { value: String(cost.ThresholdBasis.FORECAST), label: "Forecast for the month" },
];
export const basisLabel = (basis: cost.ThresholdBasis): string => (basis === cost.ThresholdBasis.FORECAST ? "forecast" : "actual");

/** "80 % of actual", "100 % of forecast". */
export const thresholdText = (t: { percent: number; basis: cost.ThresholdBasis } | undefined): string => (t ? `${t.percent} % of ${basisLabel(t.basis)}` : "");

/** The thresholds a budget gets when its author leaves them empty (BudgetService's defaults). */
export const DEFAULT_THRESHOLDS: { percent: number; basis: cost.ThresholdBasis }[] = [
  { percent: 50, basis: cost.ThresholdBasis.ACTUAL },
  { percent: 80, basis: cost.ThresholdBasis.ACTUAL },
  { percent: 100, basis: cost.ThresholdBasis.ACTUAL },
  { percent: 100, basis: cost.ThresholdBasis.FORECAST },
];
