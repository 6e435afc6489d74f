import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, common, create, tenancy } from "@canopy/sdk";
import { invalidArgument } from "@canopy/ui/testing";
import { CreateCustomerForm } from "./create-customer-form";
import { CustomerDetails } from "./customer-details";

const plans = [
  create(tenancy.PlanSchema, { planId: "standard", displayName: "Standard", limits: { maxSites: 5, maxDeploymentsPerMonth: 100 } }),
  create(tenancy.PlanSchema, { planId: "pro", displayName: "Pro", limits: { maxSites: 50 } }),
];
const acme = create(tenancy.CustomerSchema, { id: "c-1", name: "Acme", planId: "standard", quotaOverrides: { maxSites: 8 } });

function renderDetails(updateCustomer: ReturnType<typeof vi.fn>) {
  const client = {
    customers: { updateCustomer } as unknown as CanopyClient["customers"],
    plans: { listPlans: vi.fn(async () => create(tenancy.ListPlansResponseSchema, { plans })) } as unknown as CanopyClient["plans"],
  };
  const onSaved = vi.fn();
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const ui = (customer: tenancy.Customer) => (
    <QueryClientProvider client={queryClient}>
      <CustomerDetails client={client} customer={customer} onSaved={onSaved} canChange />
    </QueryClientProvider>
  );
  const view = render(ui(acme));
  return { onSaved, rerender: (c: tenancy.Customer) => view.rerender(ui(c)) };
}

describe("customer edit", () => {
  it("sends the name, plan and quota overrides in UpdateCustomer", async () => {
    const user = userEvent.setup();
    const updated = create(tenancy.CustomerSchema, {
      ...acme,
      name: "Acme Ltd",
      planId: "pro",
      quotaOverrides: create(tenancy.LimitsSchema, { maxSites: 10, allowedProviders: [common.CloudProvider.AWS], allowedRegions: ["eu-west-1"], rateTier: tenancy.RateTier.PREMIUM }),
    });
    const updateCustomer = vi.fn(async () => create(tenancy.UpdateCustomerResponseSchema, { customer: updated }));
    const { onSaved, rerender } = renderDetails(updateCustomer);
    expect(await screen.findByText("Standard (standard)")).toBeInTheDocument();
    expect(screen.getByText("Max sites: 8")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Edit customer" }));
    const name = screen.getByLabelText("Name");
    expect(name).toHaveValue("Acme");
    expect(screen.getByLabelText("Max sites")).toHaveValue("8");
    await user.clear(name);
    await user.type(name, "Acme Ltd");
    await user.selectOptions(screen.getByLabelText("Plan"), "Pro (pro)");
    expect(screen.getByLabelText("Plan")).toHaveAccessibleDescription(/The plan allows 50 sites/);
    await user.clear(screen.getByLabelText("Max sites"));
    await user.type(screen.getByLabelText("Max sites"), "10");
    await user.type(screen.getByLabelText("Max deployments per month"), "200");
    await user.click(screen.getByRole("checkbox", { name: "AWS" }));
    await user.click(screen.getByRole("checkbox", { name: "Google Cloud" }));
    await user.type(screen.getByLabelText("Allowed regions"), "eu-west-1, us-central1");
    await user.selectOptions(screen.getByLabelText("Rate tier"), "Premium");
    await user.click(screen.getByRole("button", { name: "Save changes" }));

    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(updated));
    expect(updateCustomer).toHaveBeenCalledWith({
      customerId: "c-1",
      name: "Acme Ltd",
      planId: "pro",
      quotaOverrides: expect.objectContaining({
        maxSites: 10,
        maxDeploymentsPerMonth: 200,
        allowedProviders: [common.CloudProvider.AWS, common.CloudProvider.GCP],
        allowedRegions: ["eu-west-1", "us-central1"],
        rateTier: tenancy.RateTier.PREMIUM,
      }),
      clearQuotaOverrides: false,
    });
    rerender(updated);
    expect(screen.getByText("Customer saved.")).toBeInTheDocument();
    expect(screen.getByText("Max sites: 10; Allowed providers: AWS; Allowed regions: eu-west-1; Rate tier: Premium")).toBeInTheDocument();
  });

  it("puts the server's violations beside the fields they name", async () => {
    const user = userEvent.setup();
    const updateCustomer = vi.fn(async () => {
      throw invalidArgument([
        { field: "name", description: "must be 1 to 100 characters" },
        { field: "quota_overrides.max_sites", description: "must not be negative" },
        { field: "quota_overrides.allowed_regions[1]", description: "must be a region code such as eu-west-1" },
        { field: "plan_id", description: 'no plan "gone"' },
      ]);
    });
    renderDetails(updateCustomer);
    await user.click(await screen.findByRole("button", { name: "Edit customer" }));
    await user.clear(screen.getByLabelText("Max sites"));
    await user.type(screen.getByLabelText("Max sites"), "-1");
    await user.type(screen.getByLabelText("Allowed regions"), "eu-west-1, EU_WEST");
    await user.click(screen.getByRole("button", { name: "Save changes" }));

    await waitFor(() => expect(screen.getByLabelText("Name")).toHaveAccessibleDescription("Must be 1 to 100 characters"));
    expect(screen.getByLabelText("Max sites")).toHaveAccessibleDescription("Must not be negative");
    expect(screen.getByLabelText("Allowed regions")).toHaveAccessibleDescription("Must be a region code such as eu-west-1");
    expect(screen.getByLabelText("Plan")).toHaveAccessibleDescription('No plan "gone"');
    expect(screen.getByLabelText("Max deployments per month")).not.toHaveAttribute("aria-invalid");
    expect(screen.getByText("Some fields need attention.")).toBeInTheDocument();
    expect(updateCustomer).toHaveBeenCalledWith(expect.objectContaining({ quotaOverrides: expect.objectContaining({ maxSites: -1, allowedRegions: ["eu-west-1", "EU_WEST"] }) }));
  });

  it("clears every override with clear_quota_overrides", async () => {
    const user = userEvent.setup();
    const cleared = create(tenancy.CustomerSchema, { ...acme, quotaOverrides: undefined });
    const updateCustomer = vi.fn(async () => create(tenancy.UpdateCustomerResponseSchema, { customer: cleared }));
    const { onSaved } = renderDetails(updateCustomer);
    await user.click(await screen.findByRole("button", { name: "Edit customer" }));
    await user.click(screen.getByRole("button", { name: "Clear overrides" }));
    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(cleared));
    expect(updateCustomer).toHaveBeenCalledWith({ customerId: "c-1", name: "", planId: "", clearQuotaOverrides: true });
  });

  it("asks for whole numbers before sending anything", async () => {
    const user = userEvent.setup();
    const updateCustomer = vi.fn();
    renderDetails(updateCustomer);
    await user.click(await screen.findByRole("button", { name: "Edit customer" }));
    await user.clear(screen.getByLabelText("Max sites"));
    await user.type(screen.getByLabelText("Max sites"), "ten");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    expect(screen.getByLabelText("Max sites")).toHaveAccessibleDescription("Enter a whole number, or leave it empty for the plan's limit.");
    expect(updateCustomer).not.toHaveBeenCalled();
  });
});

describe("create customer", () => {
  it("creates the customer on the chosen plan with one idempotency key per form, violations beside the fields", async () => {
    const user = userEvent.setup();
    const created = create(tenancy.CustomerSchema, { id: "c-9", name: "Globex", planId: "pro" });
    const createCustomer = vi
      .fn()
      .mockRejectedValueOnce(invalidArgument([{ field: "owner_email", description: "is not an email address" }]))
      .mockResolvedValueOnce(create(tenancy.CreateCustomerResponseSchema, { customer: created }));
    const onCreated = vi.fn();
    const client = {
      customers: { createCustomer } as unknown as CanopyClient["customers"],
      plans: { listPlans: vi.fn(async () => create(tenancy.ListPlansResponseSchema, { plans })) } as unknown as CanopyClient["plans"],
    };
    render(
      <QueryClientProvider client={new QueryClient()}>
        <CreateCustomerForm client={client} onCreated={onCreated} />
      </QueryClientProvider>,
    );
    await user.type(screen.getByLabelText("Customer name"), "Globex");
    await user.type(screen.getByLabelText("Owner email"), "hank");
    await user.type(screen.getByLabelText("Owner name"), "Hank");
    await user.selectOptions(await screen.findByRole("combobox", { name: "Plan" }), "Pro (pro)");
    await user.click(screen.getByRole("button", { name: "Create customer" }));
    await waitFor(() => expect(screen.getByLabelText("Owner email")).toHaveAccessibleDescription("Is not an email address"));
    await user.clear(screen.getByLabelText("Owner email"));
    await user.type(screen.getByLabelText("Owner email"), "hank@globex.test");
    await user.click(screen.getByRole("button", { name: "Create customer" }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    const [first, second] = createCustomer.mock.calls.map(([r]) => r);
    expect(second).toEqual({ idempotencyKey: first.idempotencyKey, name: "Globex", ownerEmail: "hank@globex.test", ownerDisplayName: "Hank", planId: "pro" });
  });
});
