import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type CanopyClient, audit, create, identity } from "@canopy/sdk";
import { CanopyContext, ROLE, type Role, SessionStore } from "@canopy/ui";
import { auditEvent, catchDownloads } from "@canopy/ui/testing";
import { ActivityRoute } from "./activity";

function renderActivity(role: Role, url = "/activity") {
  const methods = {
    listAuditEvents: vi.fn(async () =>
      create(audit.ListAuditEventsResponseSchema, {
        events: [
          auditEvent({ id: "e-2", action: "/canopy.sites.v1.SiteService/CreateSite", customerId: "t-1", sequence: 2n, summaryJson: '{"name":"shop"}' }),
          auditEvent({ id: "e-1", action: "security.sign_in_failed", customerId: "t-1", sequence: 1n, code: "OK" }),
        ],
        page: { totalSize: -1n },
      }),
    ),
    exportAuditEvents: vi.fn(async function* () {
      yield create(audit.ExportAuditEventsResponseSchema, { data: "event_id,action\n" });
      yield create(audit.ExportAuditEventsResponseSchema, { data: "e-2,/canopy.sites.v1.SiteService/CreateSite\n" });
    }),
    verifyAuditLog: vi.fn(async () =>
      create(audit.VerifyAuditLogResponseSchema, { verified: false, entriesChecked: 2n, firstBadSequence: 2n, firstBadEventId: "e-2", problem: "entry 2: stored hash does not match its content" }),
    ),
    getCheckpointKey: vi.fn(async () => create(audit.GetCheckpointKeyResponseSchema, { publicKey: "pk=" })),
  };
  const client = {
    auth: { getCurrentUser: vi.fn(async () => create(identity.GetCurrentUserResponseSchema, { user: { id: "u-1", email: "ann@example.com", tenantId: "t-1", role } })) },
    audit: methods,
  } as unknown as CanopyClient;
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <CanopyContext.Provider value={{ client, session: new SessionStore("test", window.sessionStorage) }}>
        <MemoryRouter initialEntries={[url]}>
          <ActivityRoute />
        </MemoryRouter>
      </CanopyContext.Provider>
    </QueryClientProvider>,
  );
  return methods;
}

const lastFilter = (m: ReturnType<typeof renderActivity>) => (m.listAuditEvents.mock.lastCall as unknown as [{ filter: audit.AuditFilter }])[0].filter;

afterEach(() => vi.restoreAllMocks());

describe("the activity page", () => {
  it("shows an owner their customer's events, readable, with details", async () => {
    const user = userEvent.setup();
    renderActivity(ROLE.owner);
    const table = await screen.findByRole("table", { name: "Audit events" });
    expect(within(table).getByText("SiteService.CreateSite")).toBeInTheDocument();
    expect(within(table).getByText("security.sign_in_failed")).toBeInTheDocument();
    expect(within(table).queryByRole("columnheader", { name: "Customer" })).not.toBeInTheDocument();
    await user.click(within(table).getByRole("button", { name: /Details of SiteService.CreateSite/ }));
    expect(screen.getByLabelText("Request summary")).toHaveTextContent('"name": "shop"');
  });

  it("sends the URL's filters and the ones chosen, never a customer", async () => {
    const user = userEvent.setup();
    const methods = renderActivity(ROLE.owner, "/activity?action=security.&customer=someone-else");
    await screen.findByRole("table", { name: "Audit events" });
    expect(lastFilter(methods)).toMatchObject({ action: "security.", customerId: "", platformOnly: false });
    expect(screen.queryByLabelText("Resource id")).not.toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText("Outcome"), "PERMISSION_DENIED");
    await waitFor(() => expect(lastFilter(methods)).toMatchObject({ action: "security.", outcomeCode: "PERMISSION_DENIED" }));
    await user.type(screen.getByLabelText("Actor id"), "u-1");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(lastFilter(methods)).toMatchObject({ actorId: "u-1", outcomeCode: "PERMISSION_DENIED" }));
    await user.type(screen.getByLabelText("To"), "2026-12-07");
    await waitFor(() => expect(Number(lastFilter(methods).endTime?.seconds) * 1000).toBe(new Date(2026, 11, 8).getTime()));
  });

  it("exports as CSV and verifies the chain, naming the first bad entry", async () => {
    const user = userEvent.setup();
    const downloads = catchDownloads();
    const methods = renderActivity(ROLE.owner);
    await user.selectOptions(await screen.findByLabelText("Export format"), "CSV");
    await user.click(screen.getByRole("button", { name: "Export" }));
    await screen.findByText(/Saved audit-activity-.*\.csv/);
    expect(await downloads.blobs[0]!.text()).toBe("event_id,action\ne-2,/canopy.sites.v1.SiteService/CreateSite\n");

    await user.click(screen.getByRole("button", { name: "Verify your activity" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("sequence 2 (event e-2)");
    expect(methods.verifyAuditLog).toHaveBeenCalledWith({ customerId: "", fromSequence: 0n, toSequence: 0n });
  });

  it("tells a member that only owners see the activity, without asking AuditService", async () => {
    const methods = renderActivity(ROLE.member);
    expect(await screen.findByText(/Only the account's owners can see its activity/)).toBeInTheDocument();
    expect(methods.listAuditEvents).not.toHaveBeenCalled();
    expect(methods.getCheckpointKey).not.toHaveBeenCalled();
  });
});
