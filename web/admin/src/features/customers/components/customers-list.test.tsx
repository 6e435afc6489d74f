import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, useLocation } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, create, tenancy } from "@canopy/sdk";
import { CustomersList } from "./customers-list";

const C = tenancy.CustomerStatus;
const plans = [create(tenancy.PlanSchema, { planId: "standard", displayName: "Standard" }), create(tenancy.PlanSchema, { planId: "pro", displayName: "Pro" })];

function Url() {
  return <output aria-label="URL">{useLocation().search}</output>;
}

function renderList(url = "/customers") {
  const listCustomers = vi.fn(async () =>
    create(tenancy.ListCustomersResponseSchema, {
      customers: [create(tenancy.CustomerSchema, { id: "c-1", name: "Acme", status: C.ACTIVE, planId: "pro" })],
      page: { totalSize: 42n },
    }),
  );
  const listPlans = vi.fn(async () => create(tenancy.ListPlansResponseSchema, { plans }));
  const client = { customers: { listCustomers } as unknown as CanopyClient["customers"], plans: { listPlans } as unknown as CanopyClient["plans"] };
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[url]}>
        <CustomersList client={client} />
        <Url />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { listCustomers };
}

const page = { pageSize: 20, pageToken: "" };

describe("CustomersList", () => {
  it("sends the status, plan and search filters in ListCustomers and keeps them in the URL", async () => {
    const user = userEvent.setup();
    const { listCustomers } = renderList();
    const table = await screen.findByRole("table", { name: "Customers" });
    expect(listCustomers).toHaveBeenLastCalledWith({ search: "", status: C.UNSPECIFIED, planId: "", page });
    // Plan names come from ListPlans.
    expect(within(table).getByText("Pro")).toBeInTheDocument();
    expect(screen.getByRole("navigation", { name: "Pages" })).toHaveTextContent("42 customers");

    await user.selectOptions(screen.getByLabelText("Status"), "Suspended");
    await waitFor(() => expect(listCustomers).toHaveBeenLastCalledWith({ search: "", status: C.SUSPENDED, planId: "", page }));
    await user.selectOptions(await screen.findByLabelText("Plan"), "Pro");
    await waitFor(() => expect(listCustomers).toHaveBeenLastCalledWith({ search: "", status: C.SUSPENDED, planId: "pro", page }));
    await user.type(screen.getByLabelText("Search customers"), "acme");
    await user.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => expect(listCustomers).toHaveBeenLastCalledWith({ search: "acme", status: C.SUSPENDED, planId: "pro", page }));
    expect(screen.getByLabelText("URL")).toHaveTextContent("?status=suspended&plan=pro&q=acme");
    // The total is tenancy's count of what the filters match.
    expect(screen.getByRole("navigation", { name: "Pages" })).toHaveTextContent("42 customers");

    await user.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(listCustomers).toHaveBeenLastCalledWith({ search: "", status: C.UNSPECIFIED, planId: "", page }));
    expect(screen.getByLabelText("Search customers")).toHaveValue("");
  });

  it("starts from the filters in the URL (a reload, the back button)", async () => {
    const { listCustomers } = renderList("/customers?status=deactivated&plan=standard&q=old");
    await screen.findByRole("table", { name: "Customers" });
    expect(listCustomers).toHaveBeenCalledWith({ search: "old", status: C.DEACTIVATED, planId: "standard", page });
    expect(screen.getByLabelText("Search customers")).toHaveValue("old");
    expect(screen.getByLabelText("Status")).toHaveValue("deactivated");
  });
});
