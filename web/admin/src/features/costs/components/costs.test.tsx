import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter, useLocation } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, common, cost, create, tenancy } from "@canopy/sdk";
import { formatMicros } from "@canopy/ui";
import { catchDownloads, invalidArgument } from "@canopy/ui/testing";
import { periodRange } from "../cost-filters";
import { CostAccounts } from "./cost-accounts";
import { CostDashboard } from "./cost-dashboard";

/** 7 December 2026, noon UTC. */
const TODAY = new Date(Date.UTC(2026, 11, 7, 12));

function Url() {
  const location = useLocation();
  return <output aria-label="URL">{location.search}</output>;
}

function wrap(children: ReactNode, url = "/costs") {
  return (
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[url]}>
        {children}
        <Url />
      </MemoryRouter>
    </QueryClientProvider>
  );
}

const report = (groupBy: cost.Dimension) =>
  create(cost.GetCostReportResponseSchema, {
    currencyCode: "USD",
    totalMicros: 300_000_000n,
    previousTotalMicros: 250_000_000n,
    changePercent: 20,
    periods: ["2026-12-01", "2026-12-02"],
    series:
      groupBy === cost.Dimension.PROVIDER
        ? [
            { group: "aws", label: "AWS", totalMicros: 200_000_000n, points: [{ periodStart: "2026-12-01", micros: 100_000_000n }, { periodStart: "2026-12-02", micros: 100_000_000n }] },
            { group: "sandbox", label: "Sandbox", totalMicros: 100_000_000n, points: [{ periodStart: "2026-12-02", micros: 100_000_000n }] },
          ]
        : groupBy === cost.Dimension.CUSTOMER
          ? [{ group: "c-1", label: "Acme", totalMicros: 300_000_000n, points: [] }]
          : [{ group: "s-1", label: "shop", totalMicros: 300_000_000n, points: [] }],
  });

const noForecast = create(cost.GetCostForecastResponseSchema, { currencyCode: "USD", method: cost.ForecastMethod.UNSPECIFIED, reason: "not enough data yet: 2 days of costs", daysOfData: 2, monthToDateMicros: 12_000_000n });
const acme = create(tenancy.CustomerSchema, { id: "c-1", name: "Acme" });

function fakeClient() {
  const methods = {
    costs: {
      getCostReport: vi.fn(async ({ groupBy }: { groupBy: cost.Dimension }) => report(groupBy)),
      getCostForecast: vi.fn(async () => noForecast),
      exportCosts: vi.fn(async function* () {
        yield create(cost.ExportCostsResponseSchema, { data: "date,customer_id,micros\n" });
        yield create(cost.ExportCostsResponseSchema, { data: "2026-12-01,c-1,100000000\n" });
      }),
    },
    budgets: {
      listBudgets: vi.fn(async () =>
        create(cost.ListBudgetsResponseSchema, {
          budgets: [
            {
              id: "b-1",
              customerId: "c-1",
              spec: { name: "monthly", amount: { currencyCode: "USD", minorUnits: 50_000n } },
              status: { month: "2026-12", actualMicros: 410_000_000n, percentUsed: 82, fired: [{ threshold: { percent: 80, basis: cost.ThresholdBasis.ACTUAL } }] },
            },
          ],
        }),
      ),
    },
    customers: {
      listCustomers: vi.fn(async () => create(tenancy.ListCustomersResponseSchema, { customers: [acme] })),
      getCustomer: vi.fn(async () => ({ customer: acme })),
    },
    costAccounts: {
      listCostAccounts: vi.fn(async () =>
        create(cost.ListCostAccountsResponseSchema, {
          accounts: [
            { name: "aws-main", provider: common.CloudProvider.AWS, kind: "aws", account: "123456789012", status: cost.AccountStatus.REFUSED, statusMessage: "AccessDenied: ce:GetCostAndUsage", records: 1200n },
            { name: "sandbox", kind: "sandbox", status: cost.AccountStatus.OK, lastSuccessTime: { seconds: 1_800_000_000n }, records: 42n },
          ],
        }),
      ),
      collectCosts: vi.fn(async () => create(cost.CollectCostsResponseSchema, { run: { id: "r-2", account: "aws-main", startDate: "2026-12-01", endDate: "2026-12-06", state: cost.RunState.QUEUED } })),
      listCollectionRuns: vi.fn(async () =>
        create(cost.ListCollectionRunsResponseSchema, {
          runs: [{ id: "r-1", account: "sandbox", startDate: "2026-12-06", endDate: "2026-12-06", state: cost.RunState.SUCCEEDED, attempts: 1, recordsWritten: 7n, createTime: { seconds: 1_800_000_000n } }],
          page: { nextPageToken: "runs-2" },
        }),
      ),
    },
  };
  return { methods, client: methods as unknown as CanopyClient };
}

describe("the cost dashboard", () => {
  it("asks for this month by provider, top customers and sites, and shows the change, the charts and their tables", async () => {
    const { client, methods } = fakeClient();
    render(wrap(<CostDashboard client={client} today={TODAY} />));
    const filter = { customerId: "", provider: 0, startDate: "2026-12-01", endDate: "2026-12-07" };
    await waitFor(() => expect(methods.costs.getCostReport).toHaveBeenCalledWith({ filter, granularity: cost.Granularity.DAY, groupBy: cost.Dimension.PROVIDER, limit: 10 }));
    expect(methods.costs.getCostReport).toHaveBeenCalledWith(expect.objectContaining({ filter, groupBy: cost.Dimension.CUSTOMER, limit: 10 }));
    expect(methods.costs.getCostReport).toHaveBeenCalledWith(expect.objectContaining({ filter, groupBy: cost.Dimension.SITE, limit: 10 }));

    const spend = await screen.findByRole("figure", { name: "Spend over time by provider, day by day" });
    expect(spend.querySelector("svg")).not.toBeNull();
    expect(within(spend).getByRole("table")).toHaveTextContent(/AWS.*Sandbox/);
    expect(screen.getByLabelText("Change against the previous period")).toHaveTextContent(`Up 20 % on the previous period of the same length (${formatMicros(250_000_000n, "USD")})`);
    expect(await screen.findByRole("figure", { name: "Top customers" })).toHaveTextContent("Acme");
    expect(screen.getByRole("figure", { name: "Top sites" })).toHaveTextContent("shop");
    const budgets = await screen.findByRole("table", { name: "Budgets" });
    expect(budgets).toHaveTextContent("82 %");
    expect(budgets).toHaveTextContent("80 % of actual");
    expect(methods.budgets.listBudgets).toHaveBeenCalledWith({ customerId: "", siteId: "", page: { pageSize: 20, pageToken: "" } });
  });

  it("says why there is no forecast, in the server's words", async () => {
    const { client } = fakeClient();
    render(wrap(<CostDashboard client={client} today={TODAY} />));
    expect(await screen.findByText("No forecast yet")).toBeInTheDocument();
    expect(screen.getByText("Not enough data yet: 2 days of costs")).toBeInTheDocument();
  });

  it("keeps the filters in the URL and sends them, by month for long ranges", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    render(wrap(<CostDashboard client={client} today={TODAY} />));
    await user.selectOptions(screen.getByLabelText("Period"), "Last 12 months");
    await user.selectOptions(screen.getByLabelText("Provider"), "AWS");
    await screen.findByRole("option", { name: "Acme" });
    await user.selectOptions(screen.getByLabelText("Customer"), "Acme");
    await waitFor(() =>
      expect(methods.costs.getCostReport).toHaveBeenLastCalledWith(
        expect.objectContaining({ filter: { customerId: "c-1", provider: common.CloudProvider.AWS, startDate: "2026-01-01", endDate: "2026-12-07" }, granularity: cost.Granularity.MONTH }),
      ),
    );
    expect(screen.getByLabelText("URL")).toHaveTextContent("?period=12m&provider=1&customer=c-1");
    expect(methods.costs.getCostForecast).toHaveBeenLastCalledWith({ filter: { customerId: "c-1", provider: common.CloudProvider.AWS } });
  });

  it("exports the filtered costs as CSV, the streamed pieces concatenated", async () => {
    const user = userEvent.setup();
    const downloads = catchDownloads();
    const { client, methods } = fakeClient();
    render(wrap(<CostDashboard client={client} today={TODAY} />, "/costs?period=custom&from=2026-11-01&to=2026-11-30"));
    await user.click(await screen.findByRole("button", { name: "Export CSV" }));
    await waitFor(() => expect(downloads.names).toEqual(["costs-2026-11-01-to-2026-11-30.csv"]));
    expect(await downloads.blobs[0]!.text()).toBe("date,customer_id,micros\n2026-12-01,c-1,100000000\n");
    expect(methods.costs.exportCosts).toHaveBeenCalledWith({ filter: { customerId: "", provider: 0, startDate: "2026-11-01", endDate: "2026-11-30" } }, expect.anything());
  });

  it("turns presets into days", () => {
    expect(periodRange({ period: "", from: "", to: "" }, TODAY)).toEqual({ startDate: "2026-12-01", endDate: "2026-12-07" });
    expect(periodRange({ period: "last-month", from: "", to: "" }, TODAY)).toEqual({ startDate: "2026-11-01", endDate: "2026-11-30" });
    expect(periodRange({ period: "30d", from: "", to: "" }, TODAY)).toEqual({ startDate: "2026-11-08", endDate: "2026-12-07" });
  });
});

describe("cost accounts", () => {
  it("lists the accounts with their status in words, and the runs paged", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    render(wrap(<CostAccounts client={client} canCollect={false} />));
    const rows = within(await screen.findByRole("table", { name: "Cost accounts" })).getAllByRole("row");
    expect(rows[1]).toHaveTextContent(/aws-main.*123456789012.*AWS.*Credentials refused.*AccessDenied.*Never.*1,200/);
    expect(rows[2]).toHaveTextContent(/sandbox.*Sandbox \(simulated\).*OK/);
    expect(screen.queryByRole("form", { name: "Collect costs now" })).not.toBeInTheDocument();
    expect(within(await screen.findByRole("table", { name: "Collection runs" })).getAllByRole("row")[1]).toHaveTextContent(/sandbox.*Succeeded.*1.*7/);
    await user.click(screen.getByRole("button", { name: "Next page" }));
    await waitFor(() => expect(methods.costAccounts.listCollectionRuns).toHaveBeenLastCalledWith({ account: "", page: { pageSize: 20, pageToken: "runs-2" } }));
  });

  it("collects now, the server's violations beside the days", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    methods.costAccounts.collectCosts.mockRejectedValueOnce(invalidArgument([{ field: "end_date", description: "at most 92 days after start_date" }]));
    render(wrap(<CostAccounts client={client} canCollect />));
    const form = await screen.findByRole("form", { name: "Collect costs now" });
    const first = within(form).getByLabelText("First day");
    await user.clear(first);
    await user.type(first, "2026-01-01");
    await user.click(within(form).getByRole("button", { name: "Collect now" }));
    await waitFor(() => expect(within(form).getByLabelText("Last day")).toHaveAccessibleDescription("At most 92 days after start_date"));
    expect(methods.costAccounts.collectCosts).toHaveBeenCalledWith({ account: "aws-main", startDate: "2026-01-01", endDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    await user.click(within(form).getByRole("button", { name: "Collect now" }));
    expect(await within(form).findByText(/^Queued: aws-main/)).toBeInTheDocument();
  });
});
