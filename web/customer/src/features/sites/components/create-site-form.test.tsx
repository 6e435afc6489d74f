import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Code, ConnectError, common, create, sites } from "@canopy/sdk";
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

function renderForm(client: CreateSiteFormProps["client"], onCreated = vi.fn()) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <CreateSiteForm client={client} customerId="c-1" onCreated={onCreated} />
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
});

