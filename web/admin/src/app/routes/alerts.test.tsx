import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, alerts, create, identity } from "@canopy/sdk";
import { CanopyContext, ROLE, SessionStore } from "@canopy/ui";
import { AlertsLayout, OnCallRoute, ReceiversRoute, SilencesRoute } from "./alerts";

function renderAlerts(url: string) {
  const client = {
    auth: { getCurrentUser: vi.fn(async () => ({ user: create(identity.UserSchema, { id: "me", role: ROLE.platformOperator }) })) },
    silences: { listSilences: vi.fn(async () => create(alerts.ListSilencesResponseSchema, {})) },
    receivers: { listReceivers: vi.fn(async () => create(alerts.ListReceiversResponseSchema, {})) },
    escalationPolicies: { listEscalationPolicies: vi.fn(async () => create(alerts.ListEscalationPoliciesResponseSchema, {})) },
    onCall: { listSchedules: vi.fn(async () => create(alerts.ListSchedulesResponseSchema, {})) },
  } as unknown as CanopyClient;
  const session = new SessionStore("test", window.sessionStorage);
  session.set({ accessToken: "a", refreshToken: "r" });
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <CanopyContext.Provider value={{ client, session }}>
        <MemoryRouter initialEntries={[url]}>
          <Routes>
            <Route path="/alerts" element={<AlertsLayout />}>
              <Route path="silences" element={<SilencesRoute />} />
              <Route path="receivers" element={<ReceiversRoute />} />
              <Route path="on-call" element={<OnCallRoute />} />
            </Route>
          </Routes>
        </MemoryRouter>
      </CanopyContext.Provider>
    </QueryClientProvider>,
  );
}

describe("the alerting pages", () => {
  it("link every section, marking the one shown", async () => {
    const user = userEvent.setup();
    renderAlerts("/alerts/silences");
    const nav = screen.getByRole("navigation", { name: "Alerting" });
    expect(within(nav).getAllByRole("link").map((a) => a.textContent)).toEqual(["Alerts", "Silences", "Incidents", "Routing", "Receivers", "Escalation", "On-call"]);
    expect(within(nav).getByRole("link", { name: "Silences" })).toHaveAttribute("aria-current", "page");
    await user.click(within(nav).getByRole("link", { name: "On-call" }));
    expect(await screen.findByRole("heading", { level: 1, name: "On-call schedules" })).toBeInTheDocument();
  });

  it("give operators the actions too, as every alerting policy admits them", async () => {
    renderAlerts("/alerts/silences");
    expect(await screen.findByText("No silences")).toBeInTheDocument();
    expect(screen.getByRole("form", { name: "New silence" })).toBeInTheDocument();
  });

  it("let operators add platform receivers", async () => {
    renderAlerts("/alerts/receivers");
    expect(await screen.findByText("No receivers")).toBeInTheDocument();
    expect(screen.getByRole("form", { name: "Add receiver" })).toBeInTheDocument();
  });
});
