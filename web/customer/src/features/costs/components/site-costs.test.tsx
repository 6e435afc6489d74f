import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, cost, create } from "@canopy/sdk";
import { formatMicros } from "@canopy/ui";
import { SiteCosts } from "./site-costs";

const TODAY = new Date(Date.UTC(2026, 11, 7, 12));
const usd = (micros: bigint) => formatMicros(micros, "USD");

const siteCosts = create(cost.GetSiteCostsResponseSchema, {
  currencyCode: "USD",
  sandbox: true,
  layers: [
    { layer: cost.CostLayer.ESTIMATED, micros: 24_500_000n, lastDataDate: "2026-12-07", lag: "at once, from the plan" },
    { layer: cost.CostLayer.ACCRUED, micros: 5_100_000n, lastDataDate: "2026-12-06", lag: "daily, about a day behind" },
    { layer: cost.CostLayer.INVOICED, micros: 0n, lastDataDate: "", lag: "monthly, after the month closes" },
  ],
  daily: [
    { date: "2026-12-05", accruedMicros: 800_000n, estimatedMicros: 790_000n },
    { date: "2026-12-06", accruedMicros: 850_000n, estimatedMicros: 790_000n },
  ],
  byResourceType: [
    { resourceType: "compute", micros: 1_200_000n },
    { resourceType: "load_balancer", micros: 450_000n },
  ],
  accuracy: { startDate: "2026-12-05", endDate: "2026-12-06", estimatedMicros: 1_580_000n, actualMicros: 1_650_000n, errorPercent: -4.24 },
  estimate: {
    currencyCode: "USD",
    monthlyMicros: 24_500_000n,
    hourlyMicros: 33_561n,
    priceSnapshotDate: "2026-06-01",
    priceSnapshotStale: true,
    lines: [
      { address: "module.app.digitalocean_app.this", resourceType: "digitalocean_app", description: "1 × App Platform (small)", monthlyMicros: 20_000_000n, hourlyMicros: 27_397n },
      { address: "egress", resourceType: "egress", description: "Outbound traffic", monthlyMicros: 4_500_000n, usageAssumption: true, assumption: "100 GB egress a month" },
    ],
  },
});

function renderPage(getSiteCosts = vi.fn(async () => siteCosts)) {
  const client = { costs: { getSiteCosts } } as unknown as CanopyClient;
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter>
        <SiteCosts client={client} siteId="s-1" today={TODAY} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return getSiteCosts;
}

describe("a site's cost page", () => {
  it("draws the daily trend with its text alternative, and shows the layers, the accuracy and the estimate", async () => {
    const getSiteCosts = renderPage();
    const chart = await screen.findByRole("figure", { name: "Daily cost (simulated)" });
    expect(chart.querySelector("svg")).not.toBeNull();
    expect(chart.querySelector(".recharts-line")).not.toBeNull();
    const table = within(chart).getByRole("table", { name: "Daily cost (simulated)" });
    expect(within(table).getAllByRole("row")[2]).toHaveTextContent(`${usd(850_000n)}${usd(790_000n)}`);
    expect(getSiteCosts).toHaveBeenCalledWith({ customerId: "", siteId: "s-1", startDate: "2026-11-08", endDate: "2026-12-07" });

    // Sandbox costs are marked as simulated.
    expect(screen.getByText("Simulated costs")).toBeInTheDocument();
    const layers = screen.getByRole("list", { name: "Cost layers this month" });
    expect(within(layers).getByRole("listitem", { name: "Estimated" })).toHaveTextContent(usd(24_500_000n));
    const accrued = within(layers).getByRole("listitem", { name: "Accrued" });
    expect(accrued).toHaveTextContent(usd(5_100_000n));
    expect(accrued).toHaveTextContent("Daily, about a day behind.");
    expect(accrued).toHaveTextContent("Simulated");
    expect(within(layers).getByRole("listitem", { name: "Invoiced" })).toHaveTextContent("No data yet.");

    expect(screen.getByRole("figure", { name: "By resource type" })).toHaveTextContent("load balancer");
    const accuracy = screen.getByRole("group", { name: "Estimate accuracy" });
    expect(accuracy).toHaveTextContent(`Estimated${usd(1_580_000n)}`);
    expect(accuracy).toHaveTextContent(`Actual${usd(1_650_000n)}`);
    expect(accuracy).toHaveTextContent("−4.2 % (estimate under the actual cost)");

    const lines = screen.getByRole("table", { name: "Estimate lines" });
    expect(lines).toHaveTextContent("Usage assumptionAssumes 100 GB egress a month");
    expect(screen.getByText("Prices may be out of date")).toBeInTheDocument();
  });

  it("asks for 90 days when told", async () => {
    const user = userEvent.setup();
    const getSiteCosts = renderPage();
    await user.selectOptions(screen.getByLabelText("Days shown"), "Last 90 days");
    await waitFor(() => expect(getSiteCosts).toHaveBeenLastCalledWith(expect.objectContaining({ startDate: "2026-09-09", endDate: "2026-12-07" })));
  });

  it("says when nothing has accrued to compare the estimate with", async () => {
    renderPage(vi.fn(async () => create(cost.GetSiteCostsResponseSchema, { currencyCode: "USD", accuracy: { startDate: "2026-12-05", endDate: "2026-12-06", estimatedMicros: 1n } })));
    expect(await screen.findByText("Nothing accrued to compare with")).toBeInTheDocument();
    expect(screen.getByText("No estimate yet")).toBeInTheDocument();
    expect(screen.getByText("No daily costs yet")).toBeInTheDocument();
  });
});
