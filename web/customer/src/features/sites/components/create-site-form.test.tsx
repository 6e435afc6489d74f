import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Code, ConnectError, common, cost, create, sites } from "@canopy/sdk";
import { formatMicros } from "@canopy/ui";
import { CanopyError } from "@canopy/sdk";
import { CreateSiteForm, type CreateSiteFormProps } from "./create-site-form";

/** A CanopyError as the SDK builds it from a gateway answer with BadRequest details. */
function invalidArgument(violations: { field: string; description: string }[]): CanopyError {
  // google.rpc.BadRequest { repeated FieldViolation field_violations = 1 { field = 1; description = 2 } }
  const enc = new TextEncoder();
  const bytes: number[] = [];
  const lengthDelimited = (tag: number, payload: number[]) => {
    bytes.push(tag, payload.length, ...payload);
  };
  for (const v of violations) {
    const f = [...enc.encode(v.field)];
    const d = [...enc.encode(v.description)];
    const inner = [0x0a, f.length, ...f, 0x12, d.length, ...d];
    lengthDelimited(0x0a, inner);
  }
  const error = new ConnectError("invalid site", Code.InvalidArgument);
  // As Connect stores details parsed from the grpc-web trailers.
  error.details = [{ type: "google.rpc.BadRequest", value: new Uint8Array(bytes) }];
  return new CanopyError(error);
}

function fakeSites(overrides: Partial<CreateSiteFormProps["client"]["sites"]> = {}) {
  return {
    listRegions: vi.fn(async ({ provider }: { provider: common.CloudProvider }) =>
      create(sites.ListRegionsResponseSchema, {
        regions: provider === common.CloudProvider.DIGITALOCEAN ? [{ provider, code: "ams3", displayName: "Amsterdam 3" }] : [],
      }),
    ),
    createSite: vi.fn(),
    ...overrides,
  } as unknown as CreateSiteFormProps["client"]["sites"];
}

/** EstimateSite pricing each size differently: small $20 a month, medium $40, large $80 (730 hours). */
const SIZE_MONTHLY: Record<string, bigint> = { small: 20_000_000n, medium: 40_000_000n, large: 80_000_000n };
function fakeCosts() {
  return {
    estimateSite: vi.fn(async ({ size }: { size: string }) =>
      create(cost.EstimateSiteResponseSchema, {
        estimate: {
          currencyCode: "USD",
          monthlyMicros: SIZE_MONTHLY[size]! + 4_500_000n,
          hourlyMicros: SIZE_MONTHLY[size]! / 730n,
          priceSnapshotDate: "2026-11-01",
          priceSnapshotStale: size === "large",
          lines: [
            { address: "digitalocean_app.this", resourceType: "digitalocean_app", description: `1 × App Platform (${size})`, monthlyMicros: SIZE_MONTHLY[size]!, hourlyMicros: SIZE_MONTHLY[size]! / 730n },
            { address: "egress", resourceType: "egress", description: "Outbound traffic", monthlyMicros: 4_500_000n, usageAssumption: true, assumption: "100 GB egress a month" },
          ],
        },
      }),
    ),
  } as unknown as CreateSiteFormProps["client"]["costs"];
}

function renderForm(client: Partial<CreateSiteFormProps["client"]> & Pick<CreateSiteFormProps["client"], "sites">, onCreated = vi.fn()) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <CreateSiteForm client={{ costs: fakeCosts(), ...client }} customerId="c-1" onCreated={onCreated} />
    </QueryClientProvider>,
  );
  return onCreated;
}

async function fillIn(user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByLabelText("Site name"), "Shop");
  await user.selectOptions(screen.getByLabelText("Cloud provider"), "DigitalOcean");
  const region = screen.getByLabelText("Region");
  await waitFor(() => expect(region).toBeEnabled());
  await user.selectOptions(region, "Amsterdam 3 (ams3)");
}

describe("CreateSiteForm", () => {
  it("offers the regions of the chosen provider (ListRegions)", async () => {
    const user = userEvent.setup();
    const client = { sites: fakeSites() };
    renderForm(client);
    expect(screen.getByLabelText("Region")).toBeDisabled();
    await user.selectOptions(screen.getByLabelText("Cloud provider"), "DigitalOcean");
    await waitFor(() => expect(screen.getByRole("option", { name: "Amsterdam 3 (ams3)" })).toBeInTheDocument());
    expect(client.sites.listRegions).toHaveBeenCalledWith({ provider: common.CloudProvider.DIGITALOCEAN });
  });

  it("shows each server field violation beside the field it names", async () => {
    const user = userEvent.setup();
    const createSite = vi.fn(async () => {
      throw invalidArgument([
        { field: "name", description: "must be lower-case letters, digits and hyphens" },
        { field: "runtime.port", description: "must be 1 to 65535" },
      ]);
    });
    renderForm({ sites: fakeSites({ createSite } as never) });
    await fillIn(user);
    await user.clear(screen.getByLabelText("Port"));
    await user.type(screen.getByLabelText("Port"), "70000");
    await user.click(screen.getByRole("button", { name: "Create site" }));

    const name = await screen.findByLabelText("Site name");
    await waitFor(() => expect(name).toHaveAttribute("aria-invalid", "true"));
    expect(name).toHaveAccessibleDescription("Must be lower-case letters, digits and hyphens");
    expect(screen.getByLabelText("Port")).toHaveAccessibleDescription("Must be 1 to 65535");
    // Fields without a violation stay valid; the form says what happened.
    expect(screen.getByLabelText("Container image")).not.toHaveAttribute("aria-invalid");
    expect(screen.getByText("Some fields need attention.")).toBeInTheDocument();
    // Focus moves to the first field to fix, not left on <body> by the disabled button.
    expect(name).toHaveFocus();
    expect(createSite).toHaveBeenCalledWith(
      expect.objectContaining({ customerId: "c-1", name: "Shop", region: "ams3", provider: common.CloudProvider.DIGITALOCEAN, runtime: { image: "nginx:1.27", port: 70000 } }),
    );
  });

  it("moves focus to the refused field when Enter is pressed in another one", async () => {
    const user = userEvent.setup();
    const createSite = vi.fn(async () => {
      throw invalidArgument([{ field: "runtime.image", description: "must name an image" }]);
    });
    renderForm({ sites: fakeSites({ createSite } as never) });
    await fillIn(user);
    await user.type(screen.getByLabelText("Port"), "{Enter}");
    await waitFor(() => expect(screen.getByLabelText("Container image")).toHaveFocus());
    expect(screen.getByLabelText("Container image")).toHaveAttribute("aria-invalid", "true");
  });

  it("refuses a site without a provider before sending, beside the field, with focus there", async () => {
    const user = userEvent.setup();
    const createSite = vi.fn();
    renderForm({ sites: fakeSites({ createSite } as never) });
    const provider = screen.getByLabelText("Cloud provider");
    expect(provider).toBeRequired();
    await user.type(screen.getByLabelText("Site name"), "shop");
    await user.click(screen.getByRole("button", { name: "Create site" }));
    await waitFor(() => expect(provider).toHaveFocus());
    expect(provider).toHaveAttribute("aria-invalid", "true");
    expect(provider).toHaveAccessibleDescription("Choose a cloud provider.");
    expect(screen.getByLabelText("Site name")).not.toHaveAttribute("aria-invalid");
    expect(createSite).not.toHaveBeenCalled();
  });

  it("reports the created site and deployment", async () => {
    const user = userEvent.setup();
    const response = create(sites.CreateSiteResponseSchema, { site: { id: "s-1", name: "shop" }, deployment: { id: "d-1" } });
    const onCreated = renderForm({ sites: fakeSites({ createSite: vi.fn(async () => response) } as never) });
    await fillIn(user);
    await user.click(screen.getByRole("button", { name: "Create site" }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(response));
  });

  it("explains a network failure in words", async () => {
    const user = userEvent.setup();
    const createSite = vi.fn(async () => {
      throw new CanopyError(new ConnectError("Failed to fetch", Code.Unavailable));
    });
    renderForm({ sites: fakeSites({ createSite } as never) });
    await fillIn(user);
    await user.click(screen.getByRole("button", { name: "Create site" }));
    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText(/cannot be reached/)).toBeInTheDocument();
  });

  it("shows the estimate before the site is created, and prices it again when the size changes", async () => {
    const user = userEvent.setup();
    const costs = fakeCosts();
    renderForm({ sites: fakeSites(), costs });
    const estimate = screen.getByRole("region", { name: "Estimated cost" });
    expect(estimate).toHaveTextContent("Choose a provider and a region to see what the site will cost.");
    await fillIn(user);
    await waitFor(() => expect(estimate).toHaveTextContent(`${formatMicros(24_500_000n, "USD")} a month`));
    expect(costs.estimateSite).toHaveBeenLastCalledWith({ customerId: "c-1", provider: common.CloudProvider.DIGITALOCEAN, region: "ams3", size: "small", databaseEnabled: false, storageEnabled: false });
    expect(estimate).toHaveTextContent(`${formatMicros(20_000_000n / 730n, "USD", { precise: true })} an hour`);
    const lines = within(estimate).getByRole("table", { name: "What the estimate counts" });
    expect(lines).toHaveTextContent("1 × App Platform (small)");
    expect(lines).toHaveTextContent("Usage assumptionAssumes 100 GB egress a month");
    expect(estimate).not.toHaveTextContent("Prices may be out of date");

    await user.selectOptions(screen.getByLabelText("Size"), "Large");
    await user.click(screen.getByLabelText("Managed PostgreSQL database"));
    await waitFor(() => expect(estimate).toHaveTextContent(`${formatMicros(84_500_000n, "USD")} a month`));
    expect(costs.estimateSite).toHaveBeenLastCalledWith(expect.objectContaining({ size: "large", databaseEnabled: true }));
    expect(estimate).toHaveTextContent("Prices may be out of date");
    expect(estimate).toHaveTextContent(/List prices of .*2026/);
  });

  it("sends the database and storage choices with the site", async () => {
    const user = userEvent.setup();
    const createSite = vi.fn(async () => create(sites.CreateSiteResponseSchema, { site: { id: "s-1" } }));
    renderForm({ sites: fakeSites({ createSite } as never) });
    await fillIn(user);
    await user.click(screen.getByLabelText("Object storage bucket"));
    await user.click(screen.getByRole("button", { name: "Create site" }));
    await waitFor(() => expect(createSite).toHaveBeenCalledWith(expect.objectContaining({ databaseEnabled: false, storageEnabled: true })));
  });
});
