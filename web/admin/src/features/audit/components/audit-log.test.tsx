import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, useLocation } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type CanopyClient, audit, create, tenancy } from "@canopy/sdk";
import { auditEvent, catchDownloads } from "@canopy/ui/testing";
import { AuditLog } from "./audit-log";

function fakeClient(events: audit.AuditEvent[]) {
  const methods = {
    listAuditEvents: vi.fn(async () => create(audit.ListAuditEventsResponseSchema, { events, page: { totalSize: -1n } })),
    exportAuditEvents: vi.fn(async function* () {
      yield create(audit.ExportAuditEventsResponseSchema, { data: '{"header":1}\n' });
      yield create(audit.ExportAuditEventsResponseSchema, { data: '{"event":"CreateCustomer"}\n' });
    }),
    verifyAuditLog: vi.fn(async () => create(audit.VerifyAuditLogResponseSchema, { verified: true, entriesChecked: 5n, checkpointsChecked: 1n, headSequence: 5n })),
    getCheckpointKey: vi.fn(async () => create(audit.GetCheckpointKeyResponseSchema, { publicKey: "MCowBQYDK2VwAyEA-key=" })),
  };
  const customers = {
    getCustomer: vi.fn(async ({ customerId }: { customerId: string }) => ({ customer: create(tenancy.CustomerSchema, { id: customerId, name: customerId === "c-1" ? "Acme" : "Globex" }) })),
    listCustomers: vi.fn(async () =>
      create(tenancy.ListCustomersResponseSchema, { customers: [create(tenancy.CustomerSchema, { id: "c-1", name: "Acme" }), create(tenancy.CustomerSchema, { id: "c-2", name: "Globex" })] }),
    ),
  };
  return { methods, customers, client: { audit: methods, customers } as unknown as Pick<CanopyClient, "audit" | "customers"> };
}

function Search() {
  return <output aria-label="URL search">{useLocation().search}</output>;
}

function renderLog(client: Pick<CanopyClient, "audit" | "customers">, url = "/audit") {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[url]}>
        <AuditLog client={client} />
        <Search />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const page = { pageSize: 20, pageToken: "" };
const lastFilter = (m: ReturnType<typeof fakeClient>["methods"]) => (m.listAuditEvents.mock.lastCall as unknown as [{ filter: audit.AuditFilter }])[0].filter;

afterEach(() => vi.restoreAllMocks());

describe("AuditLog", () => {
  it("lists every chain's events, each customer named, the platform's as Platform", async () => {
    const { client, methods } = fakeClient([
      auditEvent({ id: "e-3", action: "/canopy.tenancy.v1.CustomerService/CreateCustomer", customerId: "c-1", sequence: 3n }),
      auditEvent({ id: "e-2", action: "security.sign_in_failed", sequence: 2n }),
    ]);
    renderLog(client);
    const table = await screen.findByRole("table", { name: "Audit events" });
    expect(await within(table).findByRole("link", { name: "Acme" })).toHaveAttribute("href", "/customers/c-1");
    expect(within(table).getByText("CustomerService.CreateCustomer")).toBeInTheDocument();
    expect(within(table).getByText("Platform")).toBeInTheDocument();
    expect(methods.listAuditEvents).toHaveBeenCalledWith({ filter: expect.objectContaining({ customerId: "", platformOnly: false }), page });
  });

  it("puts each filter in the URL and in the ListAuditEvents request", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient([auditEvent({ id: "e-1", action: "/canopy.sites.v1.SiteService/CreateSite", customerId: "c-1" })]);
    renderLog(client, "/audit?outcome=PERMISSION_DENIED");
    await screen.findByRole("table", { name: "Audit events" });
    expect(lastFilter(methods)).toMatchObject({ outcomeCode: "PERMISSION_DENIED" });
    expect(screen.getByLabelText("Outcome")).toHaveValue("PERMISSION_DENIED");

    await user.selectOptions(await screen.findByLabelText("Customer"), "Acme");
    await waitFor(() => expect(lastFilter(methods)).toMatchObject({ customerId: "c-1", platformOnly: false, outcomeCode: "PERMISSION_DENIED" }));
    await user.type(screen.getByLabelText("Actor id"), "u-ann");
    await user.type(screen.getByLabelText("Action starts with"), "/canopy.sites.v1.SiteService/");
    await user.type(screen.getByLabelText("Resource id"), "site-1");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(lastFilter(methods)).toMatchObject({ customerId: "c-1", actorId: "u-ann", action: "/canopy.sites.v1.SiteService/", resourceId: "site-1" }));
    await user.type(screen.getByLabelText("From"), "2026-12-01");
    await waitFor(() => expect(Number(lastFilter(methods).startTime?.seconds) * 1000).toBe(new Date(2026, 11, 1).getTime()));
    const search = new URLSearchParams(screen.getByLabelText("URL search").textContent!);
    expect(Object.fromEntries(search)).toEqual({
      outcome: "PERMISSION_DENIED",
      customer: "c-1",
      actor: "u-ann",
      action: "/canopy.sites.v1.SiteService/",
      resource: "site-1",
      from: "2026-12-01",
    });

    // "Platform only" reads the platform's chain, whatever customer was chosen.
    await user.click(screen.getByLabelText("Platform only"));
    await waitFor(() => expect(lastFilter(methods)).toMatchObject({ customerId: "", platformOnly: true }));
    expect(screen.getByLabelText("Customer")).toHaveValue("");

    await user.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(lastFilter(methods)).toMatchObject({ customerId: "", platformOnly: false, actorId: "", action: "", resourceId: "", outcomeCode: "" }));
    expect(screen.getByLabelText("Actor id")).toHaveValue("");
  });

  it("verifies the chosen customer's chain, else the platform's", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient([]);
    renderLog(client);
    await user.click(await screen.findByRole("button", { name: "Verify the platform's chain" }));
    expect(await screen.findByText(/Verified 5 entries, 1 checkpoint/)).toBeInTheDocument();
    expect(methods.verifyAuditLog).toHaveBeenLastCalledWith({ customerId: "", fromSequence: 0n, toSequence: 0n });

    await user.selectOptions(await screen.findByLabelText("Customer"), "Globex");
    await user.click(await screen.findByRole("button", { name: "Verify Globex's chain" }));
    await waitFor(() => expect(methods.verifyAuditLog).toHaveBeenLastCalledWith({ customerId: "c-2", fromSequence: 0n, toSequence: 0n }));
  });

  it("exports the filtered events to a file named after the customer", async () => {
    const user = userEvent.setup();
    const downloads = catchDownloads();
    const { client, methods } = fakeClient([]);
    renderLog(client, "/audit?customer=c-1&action=%2Fcanopy.tenancy.v1.CustomerService%2F");
    await user.click(await screen.findByRole("button", { name: "Export" }));
    await screen.findByText(/Saved audit-c-1-/);
    expect(methods.exportAuditEvents).toHaveBeenCalledWith(
      { filter: expect.objectContaining({ customerId: "c-1", action: "/canopy.tenancy.v1.CustomerService/" }), format: audit.ExportFormat.JSON_LINES },
      expect.anything(),
    );
    expect(downloads.names[0]).toMatch(/^audit-c-1-.*\.jsonl$/);
    expect(await downloads.blobs[0]!.text()).toBe('{"header":1}\n{"event":"CreateCustomer"}\n');
  });

  it("shows the checkpoint key with the offline verifier's command", async () => {
    const user = userEvent.setup();
    const { client } = fakeClient([]);
    renderLog(client);
    expect(await screen.findByLabelText("Checkpoint public key")).toHaveValue("MCowBQYDK2VwAyEA-key=");
    expect(screen.getByText(/canopy-audit-verify --public-key MCowBQYDK2VwAyEA-key= export.jsonl/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Copy key" }));
    expect(await navigator.clipboard.readText()).toBe("MCowBQYDK2VwAyEA-key=");
  });
});
