import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, alerts, create } from "@canopy/sdk";
import { alertOf, invalidArgument } from "../testing";
import { usePageTokens } from "../paging/use-page-tokens";
import { matcherText, matchersForAlert } from "./alert-words";
import { AlertList } from "./alert-list";
import { AlertTable } from "./alert-table";
import { LabelChips } from "./label-chips";
import { ReceiverManager, type ReceiverManagerProps } from "./receiver-manager";

function wrap(children: ReactNode, url = "/") {
  return (
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[url]}>{children}</MemoryRouter>
    </QueryClientProvider>
  );
}

const suspended = alertOf({ labels: { alertname: "customer_suspended", severity: "warning", customer_id: "c-1", site_id: "s-9" }, customerId: "c-1", summary: "customer Acme was suspended" });

describe("alert words", () => {
  it("write labels as matchers, alertname first, quotes and backslashes escaped", () => {
    expect(matcherText("summary", 'say "hi" \\ there')).toBe('summary="say \\"hi\\" \\\\ there"');
    expect(matchersForAlert(suspended)).toEqual(['alertname="customer_suspended"', 'severity="warning"', 'customer_id="c-1"', 'site_id="s-9"']);
  });
});

describe("LabelChips and AlertTable", () => {
  it("show labels as matcher text, leaving out the ones the row shows elsewhere", () => {
    render(<LabelChips labels={suspended.labels} omit={["severity"]} />);
    const chips = within(screen.getByRole("list", { name: "Labels" })).getAllByRole("listitem").map((li) => li.textContent);
    expect(chips).toEqual(['alertname="customer_suspended"', 'customer_id="c-1"', 'site_id="s-9"']);
  });

  it("show the alert's name, summary, severity, state, customer and actions", async () => {
    const silence = vi.fn();
    render(<AlertTable alerts={[suspended]} customer={(a) => `Customer ${a.customerId}`} actions={(a) => <button onClick={() => silence(a.id)}>Silence</button>} />);
    const row = within(screen.getByRole("table", { name: "Alerts" })).getAllByRole("row")[1]!;
    expect(row).toHaveTextContent("customer_suspended");
    expect(row).toHaveTextContent("customer Acme was suspended");
    expect(row).toHaveTextContent("Warning");
    expect(row).toHaveTextContent("Firing");
    expect(row).toHaveTextContent("Customer c-1");
    expect(row).toHaveTextContent('site_id="s-9"');
    expect(row).toHaveTextContent("Not yet");
    await userEvent.click(within(row).getByRole("button", { name: "Silence" }));
    expect(silence).toHaveBeenCalledWith(suspended.id);
  });
});

describe("AlertList", () => {
  it("asks for firing alerts first, then what the filters say, and keeps them in the URL", async () => {
    const user = userEvent.setup();
    const listAlerts = vi.fn(async () => create(alerts.ListAlertsResponseSchema, { alerts: [suspended], page: { nextPageToken: "p2", totalSize: -1n } }));
    const client = { alerts: { listAlerts } } as unknown as Pick<CanopyClient, "alerts">;
    render(wrap(<AlertList client={client} customerFilter={(value, onChange) => <input aria-label="Customer id" value={value} onChange={(e) => onChange(e.target.value)} />} />));
    await screen.findByRole("table", { name: "Alerts" });
    expect(listAlerts).toHaveBeenLastCalledWith({ customerId: "", state: alerts.AlertState.FIRING, alertname: "", page: { pageSize: 20, pageToken: "" } });

    await user.selectOptions(screen.getByLabelText("State"), "Resolved");
    await waitFor(() => expect(listAlerts).toHaveBeenLastCalledWith(expect.objectContaining({ state: alerts.AlertState.RESOLVED })));
    await user.type(screen.getByLabelText("Alert name"), "site_failed{Enter}");
    await waitFor(() => expect(listAlerts).toHaveBeenLastCalledWith(expect.objectContaining({ state: alerts.AlertState.RESOLVED, alertname: "site_failed" })));
    await user.type(screen.getByLabelText("Customer id"), "c");
    await waitFor(() => expect(listAlerts).toHaveBeenLastCalledWith(expect.objectContaining({ customerId: "c", alertname: "site_failed" })));

    await user.click(await screen.findByRole("button", { name: "Next page" }));
    await waitFor(() => expect(listAlerts).toHaveBeenLastCalledWith(expect.objectContaining({ page: { pageSize: 20, pageToken: "p2" } })));
  });

  it("reads its filters from the URL, with both states for ?state=any", async () => {
    const listAlerts = vi.fn(async () => create(alerts.ListAlertsResponseSchema, {}));
    const client = { alerts: { listAlerts } } as unknown as Pick<CanopyClient, "alerts">;
    render(wrap(<AlertList client={client} />, "/?state=any&alertname=site_failed&customer=c-2"));
    expect(await screen.findByText("No alerts match")).toBeInTheDocument();
    // No customer filter offered (a customer reads their own): none sent.
    expect(listAlerts).toHaveBeenCalledWith(expect.objectContaining({ customerId: "", state: alerts.AlertState.UNSPECIFIED, alertname: "site_failed" }));
  });
});

function Receivers(props: Omit<ReceiverManagerProps, "pages">) {
  const pages = usePageTokens("");
  return <ReceiverManager {...props} pages={pages} />;
}

describe("ReceiverManager", () => {
  const slack = create(alerts.ReceiverSchema, { id: "r-1", name: "ops-slack", kind: { case: "slack", value: { webhookUrl: "https://hooks.slack.com/services/T/B/x" } }, deliveredCount: 7n });
  const list = (receivers: alerts.Receiver[]) => ({ isPending: false, isError: false, error: null, isPlaceholderData: false, data: { receivers } });

  it("sends a Slack receiver, puts the server's violation beside the URL, then shows a webhook's secret once", async () => {
    const user = userEvent.setup();
    const create_ = vi.fn(async (spec: { kind: { case: string } }) => {
      if (spec.kind.case === "slack") throw invalidArgument([{ field: "receiver.slack.webhook_url", description: "must be a https://hooks.slack.com/services/ URL" }]);
      return { receiver: create(alerts.ReceiverSchema, { name: "hook" }), signingSecret: "whsec_b25jZQ==" };
    });
    render(wrap(<Receivers list={list([])} create={create_} remove={vi.fn()} emptyDescription="Nothing yet." />));
    await user.type(screen.getByLabelText("Receiver name"), "ops-slack");
    await user.type(screen.getByLabelText("Slack webhook URL"), "https://example.com/hook");
    await user.click(screen.getByRole("button", { name: "Add receiver" }));
    await waitFor(() => expect(screen.getByLabelText("Slack webhook URL")).toHaveAccessibleDescription("Must be a https://hooks.slack.com/services/ URL"));
    expect(create_).toHaveBeenCalledWith({ name: "ops-slack", sendResolved: true, kind: { case: "slack", value: { webhookUrl: "https://example.com/hook" } } });
    expect(screen.queryByRole("option", { name: "Escalation policy" })).not.toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText("Kind"), "Signed webhook");
    await user.clear(screen.getByLabelText("Webhook URL"));
    await user.type(screen.getByLabelText("Webhook URL"), "https://example.com/hook");
    await user.click(screen.getByRole("button", { name: "Add receiver" }));
    const secret = await screen.findByRole("region", { name: "New receiver" });
    expect(within(secret).getByLabelText("Signing secret")).toHaveValue("whsec_b25jZQ==");
    await user.click(within(secret).getByRole("button", { name: "I have copied the secret" }));
    expect(screen.queryByDisplayValue(/whsec_/)).not.toBeInTheDocument();
  });

  it("sends an email receiver's addresses split at commas and spaces, and the server's violation lands beside them", async () => {
    const user = userEvent.setup();
    const create_ = vi.fn(async () => {
      throw invalidArgument([{ field: "receiver.email.addresses[1]", description: "is not an email address" }]);
    });
    render(wrap(<Receivers list={list([])} create={create_} remove={vi.fn()} emptyDescription="Nothing yet." />));
    await user.type(screen.getByLabelText("Receiver name"), "ops-mail");
    await user.selectOptions(screen.getByLabelText("Kind"), "Email");
    await user.type(screen.getByLabelText("Email addresses"), "ops@example.com, on-call@ nope");
    await user.click(screen.getByRole("button", { name: "Add receiver" }));
    expect(create_).toHaveBeenCalledWith({
      name: "ops-mail",
      sendResolved: true,
      kind: { case: "email", value: { addresses: ["ops@example.com", "on-call@", "nope"] } },
    });
    await waitFor(() => expect(screen.getByLabelText("Email addresses")).toHaveAccessibleDescription("Is not an email address"));
  });

  it("asks before calling with an empty name, and offers escalation policies where given", async () => {
    const user = userEvent.setup();
    const create_ = vi.fn();
    render(wrap(<Receivers list={list([])} create={create_} remove={vi.fn()} emptyDescription="Nothing yet." escalationPolicies={[{ value: "p-1", label: "primary" }]} />));
    await user.click(screen.getByRole("button", { name: "Add receiver" }));
    expect(screen.getByLabelText("Receiver name")).toHaveAccessibleDescription("Enter a name: lowercase letters, digits and -.");
    expect(create_).not.toHaveBeenCalled();
    await user.type(screen.getByLabelText("Receiver name"), "pager");
    await user.selectOptions(screen.getByLabelText("Kind"), "Escalation policy");
    await user.selectOptions(screen.getByLabelText("Escalation policy"), "primary");
    create_.mockResolvedValue({ receiver: create(alerts.ReceiverSchema, { name: "pager" }), signingSecret: "" });
    await user.click(screen.getByRole("button", { name: "Add receiver" }));
    await waitFor(() => expect(create_).toHaveBeenCalledWith({ name: "pager", sendResolved: true, kind: { case: "escalation", value: { escalationPolicyId: "p-1" } } }));
    expect(await screen.findByText("pager was added.")).toBeInTheDocument();
  });

  it("deletes a receiver only after a confirmation, and hides actions from readers", async () => {
    const user = userEvent.setup();
    const remove = vi.fn(async () => undefined);
    const { unmount } = render(wrap(<Receivers list={list([slack])} create={vi.fn()} remove={remove} emptyDescription="" />));
    const row = within(screen.getByRole("table", { name: "Receivers" })).getAllByRole("row")[1]!;
    expect(row).toHaveTextContent("hooks.slack.com (incoming webhook)");
    expect(row).not.toHaveTextContent("/services/T/B/x");
    await user.click(within(row).getByRole("button", { name: "Delete ops-slack" }));
    await user.click(within(screen.getByRole("alertdialog", { name: "Delete ops-slack?" })).getByRole("button", { name: "Keep it" }));
    expect(remove).not.toHaveBeenCalled();
    await user.click(within(row).getByRole("button", { name: "Delete ops-slack" }));
    await user.click(screen.getByRole("button", { name: "Yes, delete the receiver" }));
    await waitFor(() => expect(remove).toHaveBeenCalledWith(slack));
    expect(await screen.findByText(/ops-slack was deleted/)).toBeInTheDocument();
    unmount();

    render(wrap(<Receivers list={list([slack])} create={vi.fn()} remove={remove} emptyDescription="" canChange={false} />));
    expect(screen.queryByRole("button", { name: "Delete ops-slack" })).not.toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Add receiver" })).not.toBeInTheDocument();
  });
});
