import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, Code, cost, create, sites } from "@canopy/sdk";
import { canopyError, invalidArgument } from "@canopy/ui/testing";
import { Budgets } from "./budgets";

const shopBudget = (revision = 3n) =>
  create(cost.BudgetSchema, {
    id: "b-1",
    revision,
    spec: {
      name: "shop",
      siteId: "s-1",
      amount: { currencyCode: "USD", minorUnits: 50_000n },
      thresholds: [
        { percent: 50, basis: cost.ThresholdBasis.ACTUAL },
        { percent: 100, basis: cost.ThresholdBasis.FORECAST },
      ],
    },
    status: { month: "2026-12", actualMicros: 260_000_000n, percentUsed: 52, fired: [{ threshold: { percent: 50, basis: cost.ThresholdBasis.ACTUAL } }] },
  });

function fakeClient() {
  const methods = {
    budgets: {
      listBudgets: vi.fn(async () => create(cost.ListBudgetsResponseSchema, { budgets: [shopBudget()] })),
      createBudget: vi.fn(async () => create(cost.CreateBudgetResponseSchema, { budget: shopBudget(1n) })),
      updateBudget: vi.fn(async () => create(cost.UpdateBudgetResponseSchema, { budget: shopBudget(4n) })),
      deleteBudget: vi.fn(async () => create(cost.DeleteBudgetResponseSchema, {})),
    },
    sites: { listSites: vi.fn(async () => create(sites.ListSitesResponseSchema, { sites: [{ id: "s-1", name: "shop" }, { id: "s-2", name: "blog" }] })) },
  };
  return { methods, client: methods as unknown as CanopyClient };
}

function renderBudgets(client: CanopyClient, isOwner = true) {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter>
        <Budgets client={client} isOwner={isOwner} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe("budgets", () => {
  it("lists each budget's state this month, read only for members", async () => {
    const { client } = fakeClient();
    renderBudgets(client, false);
    const row = within(await screen.findByRole("table", { name: "Budgets" })).getAllByRole("row")[1]!;
    expect(row).toHaveTextContent("52 %");
    expect(row).toHaveTextContent("50 % of actual");
    await waitFor(() => expect(row).toHaveTextContent("Site shop"));
    expect(screen.queryByRole("button", { name: "New budget" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Edit shop" })).not.toBeInTheDocument();
    expect(screen.getByText("Only the account's owners create and change budgets.")).toBeInTheDocument();
  });

  it("shows the default thresholds when none are set, and the server's violations beside the fields", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    methods.budgets.createBudget.mockRejectedValueOnce(
      invalidArgument([
        { field: "spec.name", description: "a budget named shop exists" },
        { field: "spec.amount.minor_units", description: "must be more than zero" },
      ]),
    );
    renderBudgets(client);
    await user.click(await screen.findByRole("button", { name: "New budget" }));
    const form = screen.getByRole("form", { name: "New budget" });
    expect(within(form).getByRole("group", { name: "Thresholds" })).toHaveTextContent("None set: the defaults apply — 50 % of actual, 80 % of actual, 100 % of actual, 100 % of forecast.");
    await user.type(within(form).getByLabelText("Name"), "shop");
    await user.type(within(form).getByLabelText("Amount per month"), "500");
    await user.click(within(form).getByRole("button", { name: "Create budget" }));
    await waitFor(() => expect(within(form).getByLabelText("Name")).toHaveAccessibleDescription("A budget named shop exists"));
    expect(within(form).getByLabelText("Amount per month")).toHaveAccessibleDescription("Must be more than zero");
    expect(within(form).getByLabelText("Name")).toHaveFocus();
    expect(methods.budgets.createBudget).toHaveBeenCalledWith({ customerId: "", spec: { name: "shop", siteId: "", amount: { currencyCode: "USD", minorUnits: 50_000n }, thresholds: [] } });
  });

  it("places a threshold's violation beside its row, and refuses a percentage out of range before sending", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    methods.budgets.createBudget.mockRejectedValueOnce(invalidArgument([{ field: "spec.thresholds[1].percent", description: "duplicates threshold 0" }]));
    renderBudgets(client);
    await user.click(await screen.findByRole("button", { name: "New budget" }));
    const form = screen.getByRole("form", { name: "New budget" });
    await user.type(within(form).getByLabelText("Name"), "blog");
    await user.type(within(form).getByLabelText("Amount per month"), "100");
    await user.selectOptions(within(form).getByLabelText("Site"), "blog");
    await user.click(within(form).getByRole("button", { name: "Add a threshold" }));
    const first = within(form).getByRole("group", { name: "Threshold 1" });
    await user.type(within(first).getByLabelText("Percent"), "2000");
    await user.click(within(form).getByRole("button", { name: "Create budget" }));
    expect(within(first).getByLabelText("Percent")).toHaveAccessibleDescription("A whole percentage from 1 to 1000.");
    expect(methods.budgets.createBudget).not.toHaveBeenCalled();

    await user.clear(within(first).getByLabelText("Percent"));
    await user.type(within(first).getByLabelText("Percent"), "90");
    await user.click(within(form).getByRole("button", { name: "Add a threshold" }));
    const second = within(form).getByRole("group", { name: "Threshold 2" });
    await user.type(within(second).getByLabelText("Percent"), "90");
    await user.click(within(form).getByRole("button", { name: "Create budget" }));
    await waitFor(() => expect(within(second).getByLabelText("Percent")).toHaveAccessibleDescription("Duplicates threshold 0"));
    expect(methods.budgets.createBudget).toHaveBeenCalledWith({
      customerId: "",
      spec: expect.objectContaining({ siteId: "s-2", thresholds: [{ percent: 90, basis: cost.ThresholdBasis.ACTUAL }, { percent: 90, basis: cost.ThresholdBasis.ACTUAL }] }),
    });
  });

  it("saves an edit from its revision, and explains a conflict with someone else's save", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    methods.budgets.updateBudget.mockRejectedValueOnce(canopyError(Code.FailedPrecondition, "revision 3 is stale; the budget is at revision 4"));
    renderBudgets(client);
    await user.click(await screen.findByRole("button", { name: "Edit shop" }));
    const form = screen.getByRole("form", { name: "Edit shop" });
    expect(within(form).getByLabelText("Amount per month")).toHaveValue("500.00");
    await user.clear(within(form).getByLabelText("Amount per month"));
    await user.type(within(form).getByLabelText("Amount per month"), "650");
    await user.click(within(form).getByRole("button", { name: "Save budget" }));
    expect(await within(form).findByText("Someone else changed this budget")).toBeInTheDocument();
    expect(methods.budgets.updateBudget).toHaveBeenCalledWith({
      customerId: "",
      budgetId: "b-1",
      revision: 3n,
      spec: { name: "shop", siteId: "s-1", amount: { currencyCode: "USD", minorUnits: 65_000n }, thresholds: [{ percent: 50, basis: cost.ThresholdBasis.ACTUAL }, { percent: 100, basis: cost.ThresholdBasis.FORECAST }] },
    });
    await user.click(within(form).getByRole("button", { name: "Save budget" }));
    expect(await screen.findByText("shop was saved.")).toBeInTheDocument();
  });

  it("deletes a budget only after a confirmation", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    renderBudgets(client);
    await user.click(await screen.findByRole("button", { name: "Delete shop" }));
    await user.click(screen.getByRole("button", { name: "Yes, delete the budget" }));
    await waitFor(() => expect(methods.budgets.deleteBudget).toHaveBeenCalledWith({ customerId: "", budgetId: "b-1" }));
    expect(await screen.findByText("shop was deleted.")).toBeInTheDocument();
  });
});
