import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, Code, cost, create, sites, tenancy } from "@canopy/sdk";
import { formatMicros } from "@canopy/ui";
import { canopyError } from "@canopy/ui/testing";
import { isSettling, localMidnight } from "../hooks/use-fleet-summary";
import { Dashboard } from "./dashboard";

const S = sites.SiteStatus;
const D = sites.DeploymentStatus;
const C = tenancy.CustomerStatus;

const summary = create(sites.GetFleetSummaryResponseSchema, {
  siteCounts: [
    { status: S.PENDING, count: 0n },
    { status: S.PROVISIONING, count: 0n },
    { status: S.ACTIVE, count: 12n },
    { status: S.UPDATING, count: 0n },
    { status: S.FAILED, count: 2n },
    { status: S.DELETING, count: 0n },
  ],
  totalSites: 14n,
  since: { seconds: 1_700_000_000n },
  deploymentCounts: [
    { status: D.QUEUED, count: 0n },
    { status: D.RUNNING, count: 0n },
    { status: D.SUCCEEDED, count: 7n },
    { status: D.FAILED, count: 3n },
    { status: D.CANCELLED, count: 1n },
  ],
  recentFailures: [
    {
      siteName: "shop",
      deployment: { id: "d-1", siteId: "s-1", customerId: "c-1", kind: sites.DeploymentKind.UPDATE, status: D.FAILED, error: "terraform apply failed: quota exceeded" },
    },
    { siteName: "blog", deployment: { id: "d-2", siteId: "s-2", customerId: "c-2", kind: sites.DeploymentKind.CREATE, status: D.FAILED, error: "" } },
  ],
});

/** A customers client whose ListCustomers counts `statuses` the way tenancy does: total_size is what the status filter matches. */
function customersClient(statuses: tenancy.CustomerStatus[]) {
  return {
    listCustomers: vi.fn(async ({ status }: { status?: tenancy.CustomerStatus }) => {
      const matching = statuses.filter((s) => !status || s === status);
      return create(tenancy.ListCustomersResponseSchema, {
        customers: matching.slice(0, 1).map((s, i) => create(tenancy.CustomerSchema, { id: `c-${i}`, name: `Customer ${i}`, status: s })),
        page: { totalSize: BigInt(matching.length) },
      });
    }),
    getCustomer: vi.fn(async ({ customerId }: { customerId: string }) => ({ customer: create(tenancy.CustomerSchema, { id: customerId, name: `Name of ${customerId}` }) })),
  };
}

/** Two days of costs: too little for a forecast, as the cost service says. */
const tooLittleData = create(cost.GetCostForecastResponseSchema, {
  currencyCode: "USD",
  method: cost.ForecastMethod.UNSPECIFIED,
  reason: "not enough data: 2 days of costs, a forecast needs 3",
  daysOfData: 2,
  monthToDateMicros: 41_250_000n,
  lastDataDate: "2026-12-02",
});

function renderDashboard(
  getFleetSummary: ReturnType<typeof vi.fn>,
  customers = customersClient([C.ACTIVE, C.ACTIVE, C.SUSPENDED, C.DEACTIVATED]),
  getCostForecast = vi.fn(async () => tooLittleData),
) {
  const client = {
    sites: { getFleetSummary } as unknown as CanopyClient["sites"],
    customers: customers as unknown as CanopyClient["customers"],
    costs: { getCostForecast } as unknown as CanopyClient["costs"],
  };
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter>
        <Dashboard client={client} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return customers;
}

const countOf = (list: HTMLElement, label: string) => within(within(list).getByText(label, { exact: true }).closest("li")!).getByRole("link").textContent;

describe("Dashboard", () => {
  it("shows sites by status, today's deployments and the latest failures from GetFleetSummary since local midnight", async () => {
    const getFleetSummary = vi.fn(async () => summary);
    renderDashboard(getFleetSummary);
    const sitesList = await screen.findByRole("list", { name: "Sites by status" });
    expect(countOf(sitesList, "Active")).toBe("12");
    expect(countOf(sitesList, "Failed")).toBe("2");
    expect(within(sitesList).getByRole("link", { name: "2 Failed" })).toHaveAttribute("href", "/sites?status=failed");
    expect(screen.getByRole("link", { name: "14" })).toHaveAttribute("href", "/sites");

    const deployments = screen.getByRole("list", { name: "Deployments today by status" });
    expect(within(within(deployments).getByText("Succeeded").closest("li")!).getByText("7")).toBeInTheDocument();
    expect(within(within(deployments).getByText("Failed").closest("li")!).getByText("3")).toBeInTheDocument();
    expect(screen.getByText("11")).toBeInTheDocument(); // 7 + 3 + 1 deployments today

    const failures = screen.getByRole("list", { name: "Recent failures" });
    expect(within(failures).getByRole("link", { name: "shop" })).toHaveAttribute("href", "/sites/s-1");
    expect(within(failures).getByText("terraform apply failed: quota exceeded")).toBeInTheDocument();
    expect(within(failures).getByText("Updating the site", { exact: false })).toBeInTheDocument();
    expect(within(failures).getByRole("link", { name: "blog" })).toHaveAttribute("href", "/sites/s-2");
    expect(await within(failures).findByText("Name of c-1")).toBeInTheDocument();

    const midnight = localMidnight();
    expect(getFleetSummary).toHaveBeenCalledWith({ since: { seconds: BigInt(midnight.getTime() / 1000), nanos: 0 }, recentFailuresLimit: 10 });
    expect(midnight.getHours()).toBe(0);
  });

  it("counts customers per status from ListCustomers' filtered totals, and links each count to the filtered list", async () => {
    const customers = renderDashboard(vi.fn(async () => summary));
    const list = await screen.findByRole("list", { name: "Customers by status" });
    expect(countOf(list, "Active")).toBe("2");
    expect(countOf(list, "Suspended")).toBe("1");
    expect(countOf(list, "Deactivated")).toBe("1");
    expect(within(list).getByRole("link", { name: "1 Suspended" })).toHaveAttribute("href", "/customers?status=suspended");
    expect(screen.getByRole("link", { name: "4" })).toHaveAttribute("href", "/customers");
    expect(customers.listCustomers).toHaveBeenCalledWith({ status: C.SUSPENDED, page: { pageSize: 1 } });
    expect(customers.listCustomers).toHaveBeenCalledWith({ status: C.UNSPECIFIED, page: { pageSize: 1 } });
  });

  it("shows each card's empty state", async () => {
    const empty = create(sites.GetFleetSummaryResponseSchema, {
      siteCounts: [{ status: S.ACTIVE, count: 0n }],
      totalSites: 0n,
      deploymentCounts: [{ status: D.SUCCEEDED, count: 0n }],
      recentFailures: [],
    });
    renderDashboard(
      vi.fn(async () => empty),
      customersClient([]),
    );
    expect(await screen.findByText("No sites yet")).toBeInTheDocument();
    expect(screen.getByText("No deployments today")).toBeInTheDocument();
    expect(screen.getByText("No failed deployments today")).toBeInTheDocument();
    expect(await screen.findByText("No customers yet")).toBeInTheDocument();
  });

  it("says in words when the summary fails, and still shows the customers", async () => {
    renderDashboard(vi.fn(async () => Promise.reject(canopyError(Code.PermissionDenied, "caller may not read the fleet"))));
    await waitFor(() => expect(screen.getAllByRole("alert")).toHaveLength(3));
    expect(screen.getAllByRole("alert")[0]).toHaveTextContent("Caller may not read the fleet.");
    expect(await screen.findByRole("list", { name: "Customers by status" })).toBeInTheDocument();
  });

  it("fetches the summary again every few seconds while a deployment runs, and stops when all is settled", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const running = create(sites.GetFleetSummaryResponseSchema, { ...summary, siteCounts: [create(sites.SiteStatusCountSchema, { status: S.PROVISIONING, count: 1n })], totalSites: 1n });
      const getFleetSummary = vi.fn().mockResolvedValueOnce(running).mockResolvedValue(summary);
      renderDashboard(getFleetSummary);
      expect(await screen.findByText(/refreshing every few seconds/)).toBeInTheDocument();
      await vi.advanceTimersByTimeAsync(5_000);
      await waitFor(() => expect(getFleetSummary).toHaveBeenCalledTimes(2));
      expect(await screen.findByText(/^Updated/)).toBeInTheDocument();
      await vi.advanceTimersByTimeAsync(15_000);
      expect(getFleetSummary).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("the dashboard's cost figures", () => {
  it("shows this month's spend so far, and the reason in words when there is no forecast", async () => {
    const getCostForecast = vi.fn(async () => tooLittleData);
    renderDashboard(vi.fn(async () => summary), undefined, getCostForecast);
    const figures = await screen.findByLabelText("This month's cost");
    expect(figures).toHaveTextContent(`This month so far${formatMicros(41_250_000n, "USD")}`);
    expect(figures).toHaveTextContent("Forecast for the monthNot enough data: 2 days of costs, a forecast needs 3");
    expect(getCostForecast).toHaveBeenCalledWith({ filter: { customerId: "" } });
  });

  it("shows the forecast for the month with its interval", async () => {
    const forecast = create(cost.GetCostForecastResponseSchema, {
      currencyCode: "USD",
      monthToDateMicros: 41_250_000n,
      method: cost.ForecastMethod.RUN_RATE,
      reason: "",
      daysOfData: 9,
      endOfMonth: { period: "2026-12", expectedMicros: 600_000_000n, lowMicros: 540_000_000n, highMicros: 660_000_000n },
    });
    renderDashboard(vi.fn(async () => summary), undefined, vi.fn(async () => forecast));
    const figures = await screen.findByLabelText("This month's cost");
    expect(figures).toHaveTextContent(formatMicros(600_000_000n, "USD"));
    expect(figures).toHaveTextContent(`Likely between ${formatMicros(540_000_000n, "USD")} and ${formatMicros(660_000_000n, "USD")}`);
  });
});

describe("isSettling", () => {
  it("is true while a site changes or a deployment is queued or running", () => {
    const with_ = (site: sites.SiteStatus, deployment: sites.DeploymentStatus) =>
      isSettling(create(sites.GetFleetSummaryResponseSchema, { siteCounts: [{ status: site, count: 1n }], deploymentCounts: [{ status: deployment, count: 1n }] }));
    expect(with_(S.ACTIVE, D.SUCCEEDED)).toBe(false);
    expect(with_(S.FAILED, D.FAILED)).toBe(false);
    expect(with_(S.DELETING, D.SUCCEEDED)).toBe(true);
    expect(with_(S.ACTIVE, D.QUEUED)).toBe(true);
    expect(with_(S.ACTIVE, D.RUNNING)).toBe(true);
  });
});
