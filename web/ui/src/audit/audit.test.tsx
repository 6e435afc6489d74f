import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { audit, type CanopyClient, create } from "@canopy/sdk";
import { AuditEventList } from "./audit-event-list";
import { AuditEventTable } from "./audit-event-table";
import { AuditExport, exportFileName } from "./audit-export";
import { NO_AUDIT_FILTERS, toAuditFilter } from "./audit-filters";
import { AuditVerify } from "./audit-verify";
import { readableAction } from "./audit-words";
import { auditEvent, catchDownloads } from "../testing";

function wrap(children: ReactNode) {
  return (
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter>{children}</MemoryRouter>
    </QueryClientProvider>
  );
}

afterEach(() => vi.restoreAllMocks());

describe("readableAction", () => {
  it("shows a call as Service.Method and a security event as recorded", () => {
    expect(readableAction("/canopy.sites.v1.SiteService/CreateSite")).toBe("SiteService.CreateSite");
    expect(readableAction("/canopy.tenancy.v1.CustomerService/CreateCustomer")).toBe("CustomerService.CreateCustomer");
    expect(readableAction("security.sign_in_failed")).toBe("security.sign_in_failed");
  });
});

describe("toAuditFilter", () => {
  it("turns the URL's filters into the service's, the dates as whole local days", () => {
    const filter = toAuditFilter({ ...NO_AUDIT_FILTERS, customer: "c-1", actor: "u-1", action: "security.", outcome: "PERMISSION_DENIED", from: "2026-12-01", to: "2026-12-07" });
    expect(filter).toMatchObject({ customerId: "c-1", platformOnly: false, actorId: "u-1", action: "security.", outcomeCode: "PERMISSION_DENIED" });
    expect(Number(filter.startTime!.seconds) * 1000).toBe(new Date(2026, 11, 1).getTime());
    expect(Number(filter.endTime!.seconds) * 1000).toBe(new Date(2026, 11, 8).getTime());
    // "Platform only" wins over a customer.
    expect(toAuditFilter({ ...NO_AUDIT_FILTERS, customer: "c-1", platform: "1" })).toMatchObject({ customerId: "", platformOnly: true });
  });
});

describe("AuditEventTable", () => {
  it("shows each event in words and opens its details", async () => {
    const user = userEvent.setup();
    render(
      wrap(
        <AuditEventTable
          customer={(id) => `Customer ${id}`}
          events={[
            auditEvent({ id: "e-2", action: "/canopy.sites.v1.SiteService/DeleteSite", customerId: "c-1", sequence: 2n, code: "FAILED_PRECONDITION", reason: "SITE_BUSY", summaryJson: '{"siteId":"site-1"}' }),
            auditEvent({ id: "e-1", action: "security.sign_in_failed" }),
          ]}
        />,
      ),
    );
    const table = screen.getByRole("table", { name: "Audit events" });
    const [first, second] = within(table).getAllByRole("row").slice(1);
    expect(first).toHaveTextContent("Customer c-1");
    expect(first).toHaveTextContent("SiteService.DeleteSite");
    expect(first).toHaveTextContent("FAILED_PRECONDITION");
    expect(first).toHaveTextContent("SITE_BUSY");
    expect(first).toHaveTextContent("User · owner");
    expect(first).toHaveTextContent("203.0.113.9");
    expect(second).toHaveTextContent("Platform");
    expect(second).toHaveTextContent("security.sign_in_failed");

    await user.click(within(first!).getByRole("button", { name: /Details of SiteService.DeleteSite/ }));
    const details = screen.getByRole("region", { name: "Details of event 2" });
    expect(within(details).getByLabelText("Request summary")).toHaveTextContent('"siteId": "site-1"');
    expect(details).toHaveTextContent("site-1, c-1");
    expect(details).toHaveTextContent("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(details).toHaveTextContent("ab".repeat(32));
    expect(details).toHaveTextContent("e-2");
  });

  it("has no Customer column for a customer's own trail", () => {
    render(wrap(<AuditEventTable events={[auditEvent({ id: "e-1", action: "/canopy.sites.v1.SiteService/CreateSite", customerId: "c-1" })]} />));
    expect(screen.queryByRole("columnheader", { name: "Customer" })).not.toBeInTheDocument();
  });
});

describe("AuditEventList", () => {
  it("asks for the filters given, page by page", async () => {
    const user = userEvent.setup();
    const listAuditEvents = vi.fn(async ({ page }: { page: { pageToken: string } }) =>
      create(audit.ListAuditEventsResponseSchema, {
        events: [auditEvent({ id: page.pageToken ? "e-old" : "e-new", action: "/canopy.sites.v1.SiteService/CreateSite" })],
        page: { nextPageToken: page.pageToken ? "" : "t2", totalSize: -1n },
      }),
    );
    const client = { audit: { listAuditEvents } } as unknown as CanopyClient;
    render(wrap(<AuditEventList client={client} filters={{ ...NO_AUDIT_FILTERS, outcome: "OK", resource: "site-1" }} />));
    await screen.findByRole("table", { name: "Audit events" });
    expect(listAuditEvents).toHaveBeenLastCalledWith({
      filter: expect.objectContaining({ outcomeCode: "OK", resourceId: "site-1", customerId: "", platformOnly: false }),
      page: { pageSize: 20, pageToken: "" },
    });
    await user.click(screen.getByRole("button", { name: "Next page" }));
    await waitFor(() => expect(listAuditEvents).toHaveBeenLastCalledWith(expect.objectContaining({ page: { pageSize: 20, pageToken: "t2" } })));
  });

  it("says when no events match", async () => {
    const client = { audit: { listAuditEvents: vi.fn(async () => create(audit.ListAuditEventsResponseSchema, {})) } } as unknown as CanopyClient;
    render(wrap(<AuditEventList client={client} filters={{ ...NO_AUDIT_FILTERS, actor: "nobody" }} />));
    expect(await screen.findByText("No events match")).toBeInTheDocument();
  });
});

describe("AuditExport", () => {
  it("streams the export, concatenates the pieces in order and downloads a named file", async () => {
    const user = userEvent.setup();
    const downloads = catchDownloads();
    const exportAuditEvents = vi.fn(async function* () {
      yield create(audit.ExportAuditEventsResponseSchema, { data: "id,action\n" });
      yield create(audit.ExportAuditEventsResponseSchema, { data: "e-1,/canopy.sites.v1.SiteService/CreateSite\n" });
      yield create(audit.ExportAuditEventsResponseSchema, { data: "e-2,security.sign_in_failed\n" });
    });
    const client = { audit: { exportAuditEvents } } as unknown as CanopyClient;
    render(wrap(<AuditExport client={client} filters={{ ...NO_AUDIT_FILTERS, customer: "c-1", action: "security." }} scope="c-1" />));
    await user.selectOptions(screen.getByLabelText("Export format"), "CSV");
    await user.click(screen.getByRole("button", { name: "Export" }));
    expect(await screen.findByText(/Saved audit-c-1-\d{8}-\d{4}\.csv/)).toBeInTheDocument();
    expect(exportAuditEvents).toHaveBeenCalledWith(
      { filter: expect.objectContaining({ customerId: "c-1", action: "security." }), format: audit.ExportFormat.CSV },
      expect.objectContaining({ signal: expect.any(AbortSignal) }),
    );
    expect(downloads.names).toHaveLength(1);
    expect(downloads.names[0]).toMatch(/^audit-c-1-\d{8}-\d{4}\.csv$/);
    expect(await downloads.blobs[0]!.text()).toBe("id,action\ne-1,/canopy.sites.v1.SiteService/CreateSite\ne-2,security.sign_in_failed\n");
    expect(downloads.blobs[0]!.type).toBe("text/csv");
  });

  it("shows the bytes received while the export runs", async () => {
    const user = userEvent.setup();
    catchDownloads();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const exportAuditEvents = vi.fn(async function* () {
      yield create(audit.ExportAuditEventsResponseSchema, { data: "x".repeat(100) });
      await held;
      yield create(audit.ExportAuditEventsResponseSchema, { data: "y" });
    });
    render(wrap(<AuditExport client={{ audit: { exportAuditEvents } } as unknown as CanopyClient} filters={NO_AUDIT_FILTERS} scope="platform" />));
    await user.click(screen.getByRole("button", { name: "Export" }));
    expect(await screen.findByText(/100 bytes received/)).toBeInTheDocument();
    release();
    expect(await screen.findByText(/Saved audit-platform-.*\.jsonl \(101 bytes\)/)).toBeInTheDocument();
  });

  it("names files after the scope and the local time", () => {
    expect(exportFileName("platform", "jsonl", new Date(2026, 11, 7, 9, 5))).toBe("audit-platform-20261207-0905.jsonl");
  });
});

describe("AuditVerify", () => {
  it("says how much verified", async () => {
    const user = userEvent.setup();
    const verifyAuditLog = vi.fn(async () =>
      create(audit.VerifyAuditLogResponseSchema, { verified: true, entriesChecked: 42n, checkpointsChecked: 3n, headSequence: 42n }),
    );
    render(wrap(<AuditVerify client={{ audit: { verifyAuditLog } } as unknown as CanopyClient} customerId="c-1" chain="Acme's chain" />));
    await user.click(screen.getByRole("button", { name: "Verify Acme's chain" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Verified 42 entries, 3 checkpoints");
    expect(verifyAuditLog).toHaveBeenCalledWith({ customerId: "c-1", fromSequence: 0n, toSequence: 0n });
  });

  it("names the first bad entry in an error", async () => {
    const user = userEvent.setup();
    const verifyAuditLog = vi.fn(async () =>
      create(audit.VerifyAuditLogResponseSchema, {
        verified: false,
        entriesChecked: 7n,
        checkpointsChecked: 1n,
        firstBadSequence: 7n,
        firstBadEventId: "0b9d-e7",
        problem: "entry 7: stored hash does not match its content",
      }),
    );
    render(wrap(<AuditVerify client={{ audit: { verifyAuditLog } } as unknown as CanopyClient} customerId="" chain="the platform's chain" />));
    await user.click(screen.getByRole("button", { name: "Verify the platform's chain" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The chain does not verify");
    expect(alert).toHaveTextContent("sequence 7 (event 0b9d-e7)");
    expect(alert).toHaveTextContent("entry 7: stored hash does not match its content");
  });
});
