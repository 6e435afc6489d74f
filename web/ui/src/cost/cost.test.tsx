import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, cost, create } from "@canopy/sdk";
import { catchDownloads } from "../testing";
import { DailyCostChart, StackedCostChart } from "./cost-charts";
import { CostExport, exportCosts } from "./cost-export";
import { changeInWords, dayLabel, errorInWords, formatMicros, monthLabel } from "./cost-words";

describe("formatMicros", () => {
  it("reads micros as money in the currency, to the cent", () => {
    expect(formatMicros(1_250_500_000n, "USD")).toBe(new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" }).format(1250.5));
    expect(formatMicros(0n, "EUR")).toBe(new Intl.NumberFormat(undefined, { style: "currency", currency: "EUR" }).format(0));
    // A currency without minor units keeps none.
    expect(formatMicros(1_500_000_000n, "JPY")).toBe(new Intl.NumberFormat(undefined, { style: "currency", currency: "JPY" }).format(1500));
  });

  it("keeps sub-cent precision for hourly figures, and rounds to the cent otherwise", () => {
    const usd = (n: number, digits: number) => new Intl.NumberFormat(undefined, { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: digits }).format(n);
    expect(formatMicros(12_500n, "USD", { precise: true })).toBe(usd(0.0125, 4));
    expect(formatMicros(12_500n, "USD")).toBe(usd(0.01, 2));
    expect(formatMicros(1_500_000n, "USD", { precise: true })).toBe(usd(1.5, 4));
  });

  it("is compact for axes, and names a currency Intl does not know", () => {
    expect(formatMicros(1_200_000_000n, "USD", { compact: true })).toBe(new Intl.NumberFormat(undefined, { style: "currency", currency: "USD", notation: "compact", maximumFractionDigits: 1 }).format(1200));
    expect(formatMicros(2_000_000n, "X1")).toMatch(/2\.00 X1$/);
  });

  it("says changes, errors, days and months in words", () => {
    expect(changeInWords(12.46)).toBe("up 12.5 %");
    expect(changeInWords(-3)).toBe("down 3 %");
    expect(changeInWords(undefined)).toBeUndefined();
    expect(errorInWords(8.2)).toBe("+8.2 % (estimate over the actual cost)");
    expect(errorInWords(-4)).toBe("−4 % (estimate under the actual cost)");
    expect(dayLabel("2026-12-07")).toBe(new Date(Date.UTC(2026, 11, 7)).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }));
    expect(monthLabel("2026-12")).toBe(new Date(Date.UTC(2026, 11, 1)).toLocaleDateString(undefined, { month: "long", year: "numeric", timeZone: "UTC" }));
  });
});

describe("the cost charts", () => {
  it("draws an SVG chart with its figures as a table for screen readers", () => {
    const series = [
      create(cost.CostSeriesSchema, { group: "aws", label: "AWS", totalMicros: 3_000_000n, points: [{ periodStart: "2026-12-01", micros: 1_000_000n }, { periodStart: "2026-12-02", micros: 2_000_000n }] }),
      create(cost.CostSeriesSchema, { group: "gcp", label: "Google Cloud", totalMicros: 500_000n, points: [{ periodStart: "2026-12-02", micros: 500_000n }] }),
    ];
    render(<StackedCostChart title="Spend over time" currency="USD" periods={["2026-12-01", "2026-12-02"]} series={series} />);
    const figure = screen.getByRole("figure", { name: "Spend over time" });
    expect(figure.querySelector("svg")).not.toBeNull();
    const table = within(figure).getByRole("table", { name: "Spend over time" });
    const rows = within(table).getAllByRole("row");
    expect(rows[0]).toHaveTextContent(/Day.*AWS.*Google Cloud.*Total/);
    expect(rows[2]).toHaveTextContent(formatMicros(2_000_000n, "USD"));
    expect(rows[2]).toHaveTextContent(formatMicros(2_500_000n, "USD"));
  });

  it("draws a site's daily cost with the estimate's share as a line", () => {
    const daily = [create(cost.DailyCostSchema, { date: "2026-12-01", accruedMicros: 900_000n, estimatedMicros: 1_000_000n })];
    const { container } = render(<DailyCostChart title="Daily cost" currency="USD" daily={daily} />);
    expect(container.querySelector(".recharts-line")).not.toBeNull();
    expect(screen.getByRole("table", { name: "Daily cost" })).toHaveTextContent(formatMicros(900_000n, "USD"));
  });
});

describe("the CSV export", () => {
  const pieces = ["date,customer,site,provider,micros\n", "2026-12-01,c-1,s-1,aws,1000000\n", "2026-12-02,c-1,s-1,aws,2000000\n"];
  const streaming = () =>
    vi.fn(async function* () {
      for (const data of pieces) yield create(cost.ExportCostsResponseSchema, { data });
    });

  it("concatenates the streamed pieces in order", async () => {
    const exportCostsCall = streaming();
    const client = { costs: { exportCosts: exportCostsCall } } as unknown as CanopyClient;
    const progress: number[] = [];
    const text = await exportCosts(client, { startDate: "2026-12-01", endDate: "2026-12-02" }, (b) => progress.push(b));
    expect(text).toBe(pieces.join(""));
    expect(progress.at(-1)).toBe(new TextEncoder().encode(pieces.join("")).length);
    expect(exportCostsCall).toHaveBeenCalledWith({ filter: { startDate: "2026-12-01", endDate: "2026-12-02" } }, expect.anything());
  });

  it("downloads the file named after the range", async () => {
    const user = userEvent.setup();
    const downloads = catchDownloads();
    const client = { costs: { exportCosts: streaming() } } as unknown as CanopyClient;
    render(<CostExport client={client} filter={{ startDate: "2026-12-01", endDate: "2026-12-02" }} />);
    await user.click(screen.getByRole("button", { name: "Export CSV" }));
    await waitFor(() => expect(downloads.names).toEqual(["costs-2026-12-01-to-2026-12-02.csv"]));
    expect(await downloads.blobs[0]!.text()).toBe(pieces.join(""));
    expect(screen.getByRole("status")).toHaveTextContent("Saved costs-2026-12-01-to-2026-12-02.csv");
  });
});
