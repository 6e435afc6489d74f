//! `@canopy/ui/charts`, an entry of its own so that the charting library loads
//! only with the pages that draw: the cost charts (recharts, SVG) — spend over
//! time stacked by group, groups ranked by cost, a forecast with its 80 %
//! interval, a site's daily cost against the estimate's daily share. Colours are
//! the branding's CSS variables, so a customer's theme recolours them; each chart sits in a `ChartFigure` with a
//! caption and a visually hidden table of the same figures (its text
//! alternative), and fills the width it is given down to a phone's.
import { type ReactElement, type ReactNode, useId } from "react";
import { Area, Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { cost } from "@canopy/sdk";
import { dayLabel, formatMicros, microsToUnits, monthLabel } from "./cost-words";

/** Series colours, from the branding: the primary, header and accent colours, then lighter mixes of them. */
export const SERIES_COLOURS = [
  "var(--canopy-primary)",
  "var(--canopy-secondary)",
  "var(--canopy-accent)",
  "color-mix(in srgb, var(--canopy-primary) 55%, var(--canopy-surface))",
  "color-mix(in srgb, var(--canopy-secondary) 55%, var(--canopy-surface))",
  "color-mix(in srgb, var(--canopy-accent) 55%, var(--canopy-surface))",
  "var(--canopy-muted)",
];
export const seriesColour = (i: number): string => SERIES_COLOURS[i % SERIES_COLOURS.length]!;

const AXIS = { fill: "var(--canopy-muted)", fontSize: 12 };
const GRID = "var(--canopy-border)";
/** The size charts start at before they are measured (and keep in jsdom, which measures nothing). */
const INITIAL = { width: 640, height: 260 };

export interface ChartFigureProps {
  /** The figure's caption and accessible name: "Spend over time". */
  title: string;
  /** A sentence under the caption: the totals in words. */
  summary?: ReactNode;
  /** The text alternative: the same figures as a table (visually hidden). */
  table: { columns: string[]; rows: string[][] };
  /** The chart's height in pixels. */
  height?: number;
  children: ReactElement;
}

/** A chart with its caption, summary and its figures as a (visually hidden) table. */
export function ChartFigure({ title, summary, table, height = 260, children }: ChartFigureProps) {
  const id = useId();
  return (
    <figure className="m-0 flex min-w-0 flex-col gap-2" aria-labelledby={`${id}-title`} data-chart="">
      <figcaption id={`${id}-title`} className="font-semibold">
        {title}
      </figcaption>
      {summary && <p className="m-0 text-sm text-muted">{summary}</p>}
      <div className="w-full min-w-0" style={{ height }}>
        <ResponsiveContainer width="100%" height={height} initialDimension={{ ...INITIAL, height }}>
          {children}
        </ResponsiveContainer>
      </div>
      {/* A visually hidden box around the table: a table grows to its content whatever its width, and would widen the page. */}
      <div className="sr-only">
        <table>
          <caption>{title}</caption>
          <thead>
            <tr>
              {table.columns.map((c) => (
                <th key={c} scope="col">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row, i) => (
              <tr key={i}>
                {row.map((cell, j) =>
                  j === 0 ? (
                    <th key={j} scope="row">
                      {cell}
                    </th>
                  ) : (
                    <td key={j}>{cell}</td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

const periodLabel = (period: string, monthly: boolean) => (monthly ? monthLabel(period, { short: true }) : dayLabel(period, { year: false }));

/** Tooltip and axis formatting in `currency`. */
const money = (currency: string) => ({
  tick: (v: number) => formatMicros(v * 1_000_000, currency, { compact: true }),
  tooltip: (v: unknown) => (typeof v === "number" ? formatMicros(v * 1_000_000, currency) : Array.isArray(v) ? v.map((x) => formatMicros(Number(x) * 1_000_000, currency)).join(" – ") : String(v)),
});

export interface StackedCostChartProps {
  title: string;
  summary?: ReactNode;
  currency: string;
  /** Every period of the range (the x axis), "YYYY-MM-DD". */
  periods: string[];
  /** One stack per group, largest first. */
  series: cost.CostSeries[];
  /** Periods are months. */
  monthly?: boolean;
}

/** Spend over time, each period's bar stacked by group (provider, customer, …). */
export function StackedCostChart({ title, summary, currency, periods, series, monthly = false }: StackedCostChartProps) {
  const byKey = series.map((s) => new Map(s.points.map((p) => [p.periodStart, p.micros])));
  const data = periods.map((period) => {
    const row: Record<string, string | number> = { period: periodLabel(period, monthly) };
    series.forEach((s, i) => {
      row[`s${i}`] = microsToUnits(byKey[i]!.get(period) ?? 0n);
    });
    return row;
  });
  const f = money(currency);
  const rows = periods.map((period) => {
    const values = series.map((_, i) => byKey[i]!.get(period) ?? 0n);
    const total = values.reduce((a, b) => a + b, 0n);
    return [monthly ? monthLabel(period) : dayLabel(period), ...values.map((v) => formatMicros(v, currency)), formatMicros(total, currency)];
  });
  return (
    <ChartFigure title={title} summary={summary} table={{ columns: [monthly ? "Month" : "Day", ...series.map((s) => s.label || s.group), "Total"], rows }}>
      <BarChart data={data} accessibilityLayer margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid stroke={GRID} vertical={false} />
        <XAxis dataKey="period" tick={AXIS} interval="preserveStartEnd" minTickGap={12} />
        <YAxis tick={AXIS} tickFormatter={f.tick} width={64} />
        <Tooltip formatter={f.tooltip} />
        <Legend wrapperStyle={{ fontSize: 13 }} />
        {series.map((s, i) => (
          <Bar key={s.group} dataKey={`s${i}`} name={s.label || s.group} stackId="cost" fill={seriesColour(i)} isAnimationActive={false} />
        ))}
      </BarChart>
    </ChartFigure>
  );
}

export interface RankedItem {
  key: string;
  label: string;
  micros: bigint;
}

export interface RankedCostChartProps {
  title: string;
  summary?: ReactNode;
  currency: string;
  items: RankedItem[];
  /** The first column's name in the text alternative: "Customer". */
  itemName: string;
}

/** Groups ranked by cost (top customers, top sites, resource types), as horizontal bars. */
export function RankedCostChart({ title, summary, currency, items, itemName }: RankedCostChartProps) {
  const total = items.reduce((a, b) => a + b.micros, 0n);
  const data = items.map((item) => ({ name: item.label || item.key, cost: microsToUnits(item.micros) }));
  const f = money(currency);
  const share = (m: bigint) => (total > 0n ? `${Math.round((Number(m) / Number(total)) * 100)} %` : "—");
  return (
    <ChartFigure
      title={title}
      summary={summary}
      height={Math.max(120, items.length * 32 + 40)}
      table={{ columns: [itemName, "Cost", "Share"], rows: items.map((item) => [item.label || item.key, formatMicros(item.micros, currency), share(item.micros)]) }}
    >
      <BarChart data={data} layout="vertical" accessibilityLayer margin={{ top: 0, right: 16, bottom: 0, left: 0 }}>
        <CartesianGrid stroke={GRID} horizontal={false} />
        <XAxis type="number" tick={AXIS} tickFormatter={f.tick} />
        <YAxis type="category" dataKey="name" tick={AXIS} width={110} />
        <Tooltip formatter={f.tooltip} />
        <Bar dataKey="cost" name="Cost" fill={seriesColour(0)} isAnimationActive={false} />
      </BarChart>
    </ChartFigure>
  );
}

export interface ForecastChartProps {
  title: string;
  summary?: ReactNode;
  forecast: cost.GetCostForecastResponse;
}

/** This month and the next three: the expected cost as bars, the 80 % interval as a band. */
export function ForecastChart({ title, summary, forecast }: ForecastChartProps) {
  const currency = forecast.currencyCode;
  const periods = [forecast.endOfMonth, ...forecast.nextMonths].filter((p): p is cost.ForecastPeriod => p !== undefined);
  const data = periods.map((p) => ({
    month: monthLabel(p.period, { short: true }),
    expected: microsToUnits(p.expectedMicros),
    interval: [microsToUnits(p.lowMicros), microsToUnits(p.highMicros)],
  }));
  const f = money(currency);
  return (
    <ChartFigure
      title={title}
      summary={summary}
      table={{
        columns: ["Month", "Expected", "Low (80 % interval)", "High (80 % interval)"],
        rows: periods.map((p) => [monthLabel(p.period), formatMicros(p.expectedMicros, currency), formatMicros(p.lowMicros, currency), formatMicros(p.highMicros, currency)]),
      }}
    >
      <ComposedChart data={data} accessibilityLayer margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid stroke={GRID} vertical={false} />
        <XAxis dataKey="month" tick={AXIS} />
        <YAxis tick={AXIS} tickFormatter={f.tick} width={64} />
        <Tooltip formatter={f.tooltip} />
        <Legend wrapperStyle={{ fontSize: 13 }} />
        <Area dataKey="interval" name="80 % interval" fill="color-mix(in srgb, var(--canopy-accent) 25%, transparent)" stroke="var(--canopy-accent)" strokeDasharray="4 3" isAnimationActive={false} />
        <Bar dataKey="expected" name="Expected" fill={seriesColour(0)} barSize={36} isAnimationActive={false} />
      </ComposedChart>
    </ChartFigure>
  );
}

export interface DailyCostChartProps {
  title: string;
  summary?: ReactNode;
  currency: string;
  daily: cost.DailyCost[];
}

/** A site's daily accrued cost as bars, the estimate's daily share as a line. */
export function DailyCostChart({ title, summary, currency, daily }: DailyCostChartProps) {
  const data = daily.map((d) => ({ day: dayLabel(d.date, { year: false }), accrued: microsToUnits(d.accruedMicros), estimated: microsToUnits(d.estimatedMicros) }));
  const f = money(currency);
  return (
    <ChartFigure
      title={title}
      summary={summary}
      table={{ columns: ["Day", "Accrued", "Estimate's daily share"], rows: daily.map((d) => [dayLabel(d.date), formatMicros(d.accruedMicros, currency), formatMicros(d.estimatedMicros, currency)]) }}
    >
      <ComposedChart data={data} accessibilityLayer margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid stroke={GRID} vertical={false} />
        <XAxis dataKey="day" tick={AXIS} interval="preserveStartEnd" minTickGap={12} />
        <YAxis tick={AXIS} tickFormatter={f.tick} width={64} />
        <Tooltip formatter={f.tooltip} />
        <Legend wrapperStyle={{ fontSize: 13 }} />
        <Bar dataKey="accrued" name="Accrued" fill={seriesColour(0)} isAnimationActive={false} />
        <Line dataKey="estimated" name="Estimate's daily share" stroke="var(--canopy-accent)" strokeWidth={2} dot={false} type="monotone" isAnimationActive={false} />
      </ComposedChart>
    </ChartFigure>
  );
}
