import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, audit, create, identity, tenancy } from "@canopy/sdk";
import { CanopyContext, ROLE, type Role, SessionStore } from "@canopy/ui";
import { AuditRoute } from "./audit";
import { SiemRoute } from "./siem";

function renderRoute(role: Role, route: "audit" | "siem") {
  const listAuditEvents = vi.fn(async () => create(audit.ListAuditEventsResponseSchema, {}));
  const listSiemEndpoints = vi.fn(async () => create(audit.ListSiemEndpointsResponseSchema, {}));
  const client = {
    auth: { getCurrentUser: vi.fn(async () => ({ user: create(identity.UserSchema, { id: "me", role }) })) },
    audit: { listAuditEvents, getCheckpointKey: vi.fn(async () => ({ publicKey: "k" })) },
    siem: { listSiemEndpoints },
    customers: { listCustomers: vi.fn(async () => create(tenancy.ListCustomersResponseSchema, {})) },
  } as unknown as CanopyClient;
  const session = new SessionStore("test", window.sessionStorage);
  session.set({ accessToken: "a", refreshToken: "r" });
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <CanopyContext.Provider value={{ client, session }}>
        <MemoryRouter>{route === "audit" ? <AuditRoute /> : <SiemRoute />}</MemoryRouter>
      </CanopyContext.Provider>
    </QueryClientProvider>,
  );
  return { listAuditEvents, listSiemEndpoints };
}

describe("the audit pages", () => {
  it("show platform admins the trail and a way to the SIEM endpoints", async () => {
    const { listAuditEvents } = renderRoute(ROLE.platformAdmin, "audit");
    expect(await screen.findByText("No events yet")).toBeInTheDocument();
    expect(listAuditEvents).toHaveBeenCalled();
    expect(screen.getByRole("link", { name: "SIEM endpoints" })).toHaveAttribute("href", "/audit/siem");
  });

  it("tell an operator that only platform admins read the trail, without asking AuditService", async () => {
    const { listAuditEvents } = renderRoute(ROLE.platformOperator, "audit");
    expect(await screen.findByText("Only platform admins read the audit log.")).toBeInTheDocument();
    expect(listAuditEvents).not.toHaveBeenCalled();
    expect(screen.queryByRole("link", { name: "SIEM endpoints" })).not.toBeInTheDocument();
  });

  it("keep SIEM endpoints from operators, without asking SiemService", async () => {
    const { listSiemEndpoints } = renderRoute(ROLE.platformOperator, "siem");
    expect(await screen.findByText("Only platform admins manage SIEM endpoints.")).toBeInTheDocument();
    expect(listSiemEndpoints).not.toHaveBeenCalled();
    expect(screen.queryByRole("form", { name: "Add SIEM endpoint" })).not.toBeInTheDocument();
  });
});
