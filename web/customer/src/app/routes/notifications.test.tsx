import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, alerts, create, identity } from "@canopy/sdk";
import { CanopyContext, ROLE, type Role, SessionStore } from "@canopy/ui";
import { alertOf, invalidArgument } from "@canopy/ui/testing";
import { NotificationsRoute } from "./notifications";

function renderNotifications(role: Role) {
  const receivers: alerts.Receiver[] = [];
  const methods = {
    listCustomerReceivers: vi.fn(async () => create(alerts.ListCustomerReceiversResponseSchema, { receivers: [...receivers] })),
    createCustomerReceiver: vi.fn(async ({ receiver }: { receiver: { name: string; kind: { case: string; value: { url?: string; webhookUrl?: string } } } }) => {
      if (receiver.kind.value.url?.startsWith("http://")) throw invalidArgument([{ field: "receiver.webhook.url", description: "must be an https:// URL" }]);
      const created = create(alerts.ReceiverSchema, { id: `r-${receivers.length + 1}`, name: receiver.name, kind: { case: "webhook", value: { url: receiver.kind.value.url ?? "" } } });
      receivers.push(created);
      return create(alerts.CreateCustomerReceiverResponseSchema, { receiver: created, signingSecret: "whsec_c2VjcmV0" });
    }),
    deleteCustomerReceiver: vi.fn(async ({ receiverId }: { receiverId: string }) => {
      receivers.splice(
        receivers.findIndex((r) => r.id === receiverId),
        1,
      );
      return create(alerts.DeleteCustomerReceiverResponseSchema, {});
    }),
  };
  const listAlerts = vi.fn(async () =>
    create(alerts.ListAlertsResponseSchema, {
      alerts: [alertOf({ labels: { alertname: "deployment_failed", severity: "critical", customer_id: "t-1", site_id: "s-1" }, customerId: "t-1", summary: "deployment of shop failed" })],
    }),
  );
  const client = {
    auth: { getCurrentUser: vi.fn(async () => create(identity.GetCurrentUserResponseSchema, { user: { id: "u-1", email: "ann@example.com", tenantId: "t-1", role } })) },
    customerReceivers: methods,
    alerts: { listAlerts },
  } as unknown as CanopyClient;
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <CanopyContext.Provider value={{ client, session: new SessionStore("test", window.sessionStorage) }}>
        <MemoryRouter initialEntries={["/notifications"]}>
          <NotificationsRoute />
        </MemoryRouter>
      </CanopyContext.Provider>
    </QueryClientProvider>,
  );
  return { methods, listAlerts };
}

describe("the customer's notifications", () => {
  it("show an owner their recent alerts of both states, read only, without a customer column", async () => {
    const { listAlerts } = renderNotifications(ROLE.owner);
    const table = await screen.findByRole("table", { name: "Alerts" });
    expect(listAlerts).toHaveBeenCalledWith({ customerId: "", state: alerts.AlertState.UNSPECIFIED, alertname: "", page: { pageSize: 20, pageToken: "" } });
    expect(table).toHaveTextContent("deployment_failed");
    expect(table).toHaveTextContent("deployment of shop failed");
    expect(within(table).queryByText("Customer")).not.toBeInTheDocument();
    expect(within(table).queryByRole("link", { name: /Silence/ })).not.toBeInTheDocument();
  });

  it("let an owner add a webhook (violation beside the URL, then the secret once) and delete it after a confirmation", async () => {
    const user = userEvent.setup();
    const { methods } = renderNotifications(ROLE.owner);
    expect(await screen.findByText("No receivers")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Receiver name"), "shop-hook");
    await user.selectOptions(screen.getByLabelText("Kind"), "Signed webhook");
    expect(screen.queryByRole("option", { name: "Escalation policy" })).not.toBeInTheDocument();
    await user.type(screen.getByLabelText("Webhook URL"), "http://example.com/hook");
    await user.click(screen.getByRole("button", { name: "Add receiver" }));
    await waitFor(() => expect(screen.getByLabelText("Webhook URL")).toHaveAccessibleDescription("Must be an https:// URL"));
    await user.clear(screen.getByLabelText("Webhook URL"));
    await user.type(screen.getByLabelText("Webhook URL"), "https://example.com/hook");
    await user.click(screen.getByRole("button", { name: "Add receiver" }));
    expect(within(await screen.findByRole("region", { name: "New receiver" })).getByLabelText("Signing secret")).toHaveValue("whsec_c2VjcmV0");
    expect(methods.createCustomerReceiver).toHaveBeenLastCalledWith({ customerId: "", receiver: { name: "shop-hook", sendResolved: true, kind: { case: "webhook", value: { url: "https://example.com/hook" } } } });

    const row = within(await screen.findByRole("table", { name: "Receivers" })).getAllByRole("row")[1]!;
    await user.click(within(row).getByRole("button", { name: "Delete shop-hook" }));
    expect(methods.deleteCustomerReceiver).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Yes, delete the receiver" }));
    await waitFor(() => expect(methods.deleteCustomerReceiver).toHaveBeenCalledWith({ customerId: "", receiverId: "r-1" }));
    expect(await screen.findByText("No receivers")).toBeInTheDocument();
  });

  it("tell members that only owners manage notifications, without asking", async () => {
    const { methods, listAlerts } = renderNotifications(ROLE.member);
    expect(await screen.findByText(/Only the account's owners manage where alerts/)).toBeInTheDocument();
    expect(methods.listCustomerReceivers).not.toHaveBeenCalled();
    expect(listAlerts).not.toHaveBeenCalled();
  });
});
