import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { ReactElement, ReactNode } from "react";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, create, tenancy } from "@canopy/sdk";
import { invalidArgument } from "@canopy/ui/testing";
import { BrandingEditor } from "./branding-editor";
import { CustomerLifecycle, StatusHistory } from "./customer-lifecycle";
import { Usage } from "./usage-card";

const S = tenancy.CustomerStatus;

function withQuery(ui: ReactElement) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  // A wrapper, so that a rerender keeps the query client (the lifecycle's mutations need it).
  return render(ui, { wrapper: ({ children }: { children: ReactNode }) => <QueryClientProvider client={queryClient}>{children}</QueryClientProvider> });
}

const customer = (status: tenancy.CustomerStatus, statusReason = "") => create(tenancy.CustomerSchema, { id: "c-1", name: "Acme", status, statusReason });
const customersClient = (methods: Record<string, unknown>) => ({ customers: methods as unknown as CanopyClient["customers"] });

describe("CustomerLifecycle", () => {
  it("suspends with a reason after confirmation", async () => {
    const user = userEvent.setup();
    const suspendCustomer = vi.fn(async () => create(tenancy.SuspendCustomerResponseSchema, { customer: customer(S.SUSPENDED, "unpaid invoice") }));
    const onChanged = vi.fn();
    withQuery(<CustomerLifecycle client={customersClient({ suspendCustomer })} customer={customer(S.ACTIVE)} onChanged={onChanged} />);
    expect(screen.getByText("Active")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Reactivate" })).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Suspend" }));
    const dialog = screen.getByRole("alertdialog", { name: "Suspend Acme?" });
    await user.type(within(dialog).getByLabelText("Reason"), "unpaid invoice");
    await user.click(within(dialog).getByRole("button", { name: "Yes, suspend Acme" }));
    await waitFor(() => expect(onChanged).toHaveBeenCalledWith(expect.objectContaining({ status: S.SUSPENDED })));
    expect(suspendCustomer).toHaveBeenCalledWith({ customerId: "c-1", reason: "unpaid invoice" });
  });

  it("shows a missing reason beside the reason field", async () => {
    const user = userEvent.setup();
    const suspendCustomer = vi.fn(async () => {
      throw invalidArgument([{ field: "reason", description: "is required" }]);
    });
    withQuery(<CustomerLifecycle client={customersClient({ suspendCustomer })} customer={customer(S.ACTIVE)} onChanged={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Suspend" }));
    await user.click(screen.getByRole("button", { name: "Yes, suspend Acme" }));
    await waitFor(() => expect(screen.getByLabelText("Reason")).toHaveAccessibleDescription("Is required"));
  });

  it("reactivates a suspended customer, and cancelling a deactivation sends nothing", async () => {
    const user = userEvent.setup();
    const reactivateCustomer = vi.fn(async () => create(tenancy.ReactivateCustomerResponseSchema, { customer: customer(S.ACTIVE) }));
    const deactivateCustomer = vi.fn();
    const onChanged = vi.fn();
    withQuery(<CustomerLifecycle client={customersClient({ reactivateCustomer, deactivateCustomer })} customer={customer(S.SUSPENDED, "unpaid invoice")} onChanged={onChanged} />);
    expect(screen.getByText("Suspended")).toBeInTheDocument();
    expect(screen.getByText("Reason: unpaid invoice")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Deactivate" }));
    expect(screen.getByRole("alertdialog", { name: "Deactivate Acme?" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(deactivateCustomer).not.toHaveBeenCalled();

    await user.click(screen.getByRole("button", { name: "Reactivate" }));
    await user.click(screen.getByRole("button", { name: "Yes, reactivate Acme" }));
    await waitFor(() => expect(reactivateCustomer).toHaveBeenCalledWith({ customerId: "c-1" }));
    expect(onChanged).toHaveBeenCalledOnce();
  });

  it("deactivates with a reason; a deactivated customer offers no actions", async () => {
    const user = userEvent.setup();
    const deactivateCustomer = vi.fn(async () => create(tenancy.DeactivateCustomerResponseSchema, { customer: customer(S.DEACTIVATED, "closed") }));
    const { rerender } = withQuery(<CustomerLifecycle client={customersClient({ deactivateCustomer })} customer={customer(S.ACTIVE)} onChanged={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Deactivate" }));
    await user.type(screen.getByLabelText("Reason"), "closed");
    await user.click(screen.getByRole("button", { name: "Yes, deactivate Acme" }));
    await waitFor(() => expect(deactivateCustomer).toHaveBeenCalledWith({ customerId: "c-1", reason: "closed" }));
    rerender(<CustomerLifecycle client={customersClient({ deactivateCustomer })} customer={customer(S.DEACTIVATED, "closed")} onChanged={vi.fn()} />);
    expect(screen.queryByRole("button")).not.toBeInTheDocument();
  });
});

describe("StatusHistory", () => {
  it("lists the status changes, newest first as the server returns them", async () => {
    const listCustomerStatusChanges = vi.fn(async () =>
      create(tenancy.ListCustomerStatusChangesResponseSchema, {
        changes: [
          { fromStatus: S.SUSPENDED, toStatus: S.ACTIVE, reason: "paid", changedBy: "user:a", changeTime: { seconds: 1_700_000_100n } },
          { fromStatus: S.ACTIVE, toStatus: S.SUSPENDED, reason: "unpaid invoice", changedBy: "user:a", changeTime: { seconds: 1_700_000_000n } },
          { fromStatus: S.CREATING, toStatus: S.ACTIVE, changedBy: "user:a", changeTime: { seconds: 1_699_999_990n } },
          // Creation has no status before it.
          { fromStatus: S.UNSPECIFIED, toStatus: S.CREATING, changedBy: "user:a", changeTime: { seconds: 1_699_999_980n } },
        ],
      }),
    );
    withQuery(<StatusHistory client={customersClient({ listCustomerStatusChanges })} customerId="c-1" />);
    const table = await screen.findByRole("table", { name: "Status history" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getAllByRole("cell")[1]!.textContent)).toEqual(["Suspended → Active", "Active → Suspended", "Creating → Active", "Created"]);
    expect(within(rows[1]!).getByText("unpaid invoice")).toBeInTheDocument();
    expect(listCustomerStatusChanges).toHaveBeenCalledWith({ customerId: "c-1", page: { pageSize: 20 } });
  });
});

describe("Usage", () => {
  it("shows usage against the effective limits (GetUsage)", async () => {
    const getUsage = vi.fn(async () =>
      create(tenancy.GetUsageResponseSchema, { sitesUsed: 2, deploymentsThisMonth: 7, effectiveLimits: { maxSites: 5, maxDeploymentsPerMonth: 0 } }),
    );
    withQuery(<Usage client={{ plans: { getUsage } as unknown as CanopyClient["plans"] }} customerId="c-1" />);
    expect(await screen.findByText(/of 5/)).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Sites" })).toHaveAttribute("aria-valuenow", "40");
    expect(screen.getByText(/\(no limit\)/)).toBeInTheDocument();
    expect(getUsage).toHaveBeenCalledWith({ customerId: "c-1" });
  });
});

describe("BrandingEditor", () => {
  const branding = create(tenancy.BrandingSchema, {
    customerId: "c-1",
    productName: "Acme Cloud",
    primaryColor: "#1a73e8",
    secondaryColor: "#202124",
    accentColor: "#fbbc04",
    supportEmail: "help@acme.test",
    themeVariables: { radius: "6px" },
  });
  const brandingClient = (updateBranding: unknown) => ({ branding: { updateBranding } as unknown as CanopyClient["branding"] });

  it("previews edits live with the portal's theming before anything is saved", async () => {
    const user = userEvent.setup();
    const updateBranding = vi.fn();
    render(<BrandingEditor client={brandingClient(updateBranding)} branding={branding} onSaved={vi.fn()} />);
    const preview = screen.getByTestId("branding-preview");
    await waitFor(() => expect(preview.style.getPropertyValue("--canopy-primary")).toBe("#1a73e8"));
    expect(preview.style.getPropertyValue("--canopy-radius")).toBe("6px");
    expect(within(preview).getByText("Acme Cloud")).toBeInTheDocument();

    const primary = screen.getByLabelText("Primary colour");
    await user.clear(primary);
    await user.type(primary, "#0b5d1e");
    await user.clear(screen.getByLabelText("Product name"));
    await user.type(screen.getByLabelText("Product name"), "Green Hosting");
    await user.selectOptions(screen.getByLabelText("Font"), "serif");
    await user.selectOptions(screen.getByLabelText("Shadow"), "strong");
    await user.selectOptions(screen.getByLabelText("Header style"), "transparent");

    await waitFor(() => expect(preview.style.getPropertyValue("--canopy-primary")).toBe("#0b5d1e"));
    expect(preview.style.getPropertyValue("--canopy-font")).toMatch(/serif/);
    expect(preview.style.getPropertyValue("--canopy-shadow")).toMatch(/rgba/);
    expect(preview.style.getPropertyValue("--canopy-header-bg")).toBe("transparent");
    expect(within(preview).getByText("Green Hosting")).toBeInTheDocument();
    // The preview has its own root: the admin portal itself is not re-themed.
    expect(document.documentElement.style.getPropertyValue("--canopy-primary")).toBe("");
    expect(updateBranding).not.toHaveBeenCalled();
  });

  it("saves the fields and the allow-listed theme variables", async () => {
    const user = userEvent.setup();
    const saved = create(tenancy.BrandingSchema, { ...branding, productName: "Acme" });
    const updateBranding = vi.fn(async () => create(tenancy.UpdateBrandingResponseSchema, { branding: saved }));
    const onSaved = vi.fn();
    render(<BrandingEditor client={brandingClient(updateBranding)} branding={branding} onSaved={onSaved} />);
    await user.selectOptions(screen.getByLabelText("Density"), "compact");
    await user.click(screen.getByRole("button", { name: "Save branding" }));
    expect(await screen.findByText("Branding saved.")).toBeInTheDocument();
    expect(updateBranding).toHaveBeenCalledWith({
      customerId: "c-1",
      productName: "Acme Cloud",
      primaryColor: "#1a73e8",
      secondaryColor: "#202124",
      accentColor: "#fbbc04",
      supportEmail: "help@acme.test",
      mailSenderName: "",
      themeVariables: { radius: "6px", density: "compact" },
    });
    expect(onSaved).toHaveBeenCalledWith(saved);
  });

  it("shows server violations beside the fields (an invalid hex colour, a theme variable)", async () => {
    const user = userEvent.setup();
    const updateBranding = vi.fn(async () => {
      throw invalidArgument([
        { field: "primary_color", description: "must be a hex colour #rrggbb" },
        { field: "theme_variables[radius]", description: "must be a length from 0 to 24px, e.g. 6px" },
      ]);
    });
    render(<BrandingEditor client={brandingClient(updateBranding)} branding={branding} onSaved={vi.fn()} />);
    const primary = screen.getByLabelText("Primary colour");
    await user.clear(primary);
    await user.type(primary, "#12345g");
    await user.clear(screen.getByLabelText("Corner radius"));
    await user.type(screen.getByLabelText("Corner radius"), "99px");
    // The preview ignores what it cannot use: the default primary applies.
    expect(screen.getByTestId("branding-preview").style.getPropertyValue("--canopy-primary")).toBe("");
    await user.click(screen.getByRole("button", { name: "Save branding" }));
    await waitFor(() => expect(primary).toHaveAccessibleDescription("Must be a hex colour #rrggbb"));
    expect(screen.getByLabelText("Corner radius")).toHaveAccessibleDescription("Must be a length from 0 to 24px, e.g. 6px");
    expect(screen.getByLabelText("Secondary colour")).not.toHaveAttribute("aria-invalid");
    expect(screen.getByText("Some fields need attention.")).toBeInTheDocument();
  });
});
