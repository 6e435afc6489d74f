import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, alerts, create, tenancy } from "@canopy/sdk";
import { alertOf, invalidArgument } from "@canopy/ui/testing";
import { EscalationPolicies, parseTargets } from "./escalation-policies";
import { Incidents } from "./incidents";
import { OnCallSchedules } from "./on-call-schedules";
import { PlatformAlerts } from "./platform-alerts";
import { PlatformReceivers } from "./platform-receivers";
import { RoutingEditor } from "./routing-editor";
import { Silences } from "./silences";

function wrap(children: ReactNode, url = "/") {
  return (
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[url]}>{children}</MemoryRouter>
    </QueryClientProvider>
  );
}

const suspended = alertOf({
  labels: { alertname: "customer_suspended", severity: "warning", customer_id: "c-1" },
  customerId: "c-1",
  state: alerts.AlertState.RESOLVED,
  summary: "customer Acme was suspended",
});

const silence = (id: string, state: alerts.SilenceState, comment: string) =>
  create(alerts.SilenceSchema, { id, matchers: ['alertname="customer_suspended"'], state, comment, createdBy: "u-admin", startTime: { seconds: 1_800_000_000n }, endTime: { seconds: 1_800_007_200n } });

function fakeClient() {
  const silences: alerts.Silence[] = [];
  const methods = {
    alerts: { listAlerts: vi.fn(async () => create(alerts.ListAlertsResponseSchema, { alerts: [suspended] })) },
    customers: {
      listCustomers: vi.fn(async () => create(tenancy.ListCustomersResponseSchema, { customers: [create(tenancy.CustomerSchema, { id: "c-1", name: "Acme" })] })),
      getCustomer: vi.fn(async () => ({ customer: create(tenancy.CustomerSchema, { id: "c-1", name: "Acme" }) })),
    },
    silences: {
      listSilences: vi.fn(async () => create(alerts.ListSilencesResponseSchema, { silences: [...silences] })),
      createSilence: vi.fn(async (request: { matchers: string[]; comment: string }) => {
        if (request.matchers.some((m) => !m.includes("="))) throw invalidArgument([{ field: "silence.matchers[1]", description: "is not a matcher" }]);
        const created = silence(`s-${silences.length + 1}`, alerts.SilenceState.ACTIVE, request.comment);
        silences.unshift(created);
        return create(alerts.CreateSilenceResponseSchema, { silence: created });
      }),
      expireSilence: vi.fn(async ({ silenceId }: { silenceId: string }) => {
        const found = silences.find((s) => s.id === silenceId)!;
        found.state = alerts.SilenceState.EXPIRED;
        return create(alerts.ExpireSilenceResponseSchema, { silence: found });
      }),
    },
  };
  return { methods, client: methods as unknown as CanopyClient, silences };
}

describe("alerts and silences", () => {
  it("lists every customer's alerts with the filters in the request, and silences one with its labels as matchers", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    render(
      wrap(
        <Routes>
          <Route path="/alerts" element={<PlatformAlerts client={client} />} />
          <Route path="/alerts/silences" element={<Silences client={client} />} />
        </Routes>,
        "/alerts",
      ),
    );
    const row = within(await screen.findByRole("table", { name: "Alerts" })).getAllByRole("row")[1]!;
    expect(methods.alerts.listAlerts).toHaveBeenLastCalledWith(expect.objectContaining({ state: alerts.AlertState.FIRING, customerId: "" }));
    expect(await within(row).findByRole("link", { name: "Acme" })).toHaveAttribute("href", "/customers/c-1");
    expect(row).toHaveTextContent("Resolved");

    await user.selectOptions(screen.getByLabelText("State"), "Firing and resolved");
    await user.selectOptions(screen.getByLabelText("Customer"), "Acme");
    await waitFor(() => expect(methods.alerts.listAlerts).toHaveBeenLastCalledWith(expect.objectContaining({ state: alerts.AlertState.UNSPECIFIED, customerId: "c-1" })));

    await user.click(within(screen.getAllByRole("row")[1]!).getByRole("link", { name: "Silence customer_suspended" }));
    const matchers = await screen.findByLabelText("Matchers");
    expect(matchers).toHaveValue('alertname="customer_suspended"\nseverity="warning"\ncustomer_id="c-1"');
    await user.type(screen.getByLabelText("Comment"), "known: suspended on purpose");
    await user.click(screen.getByRole("button", { name: "Create silence" }));
    await waitFor(() =>
      expect(methods.silences.createSilence).toHaveBeenCalledWith({
        matchers: ['alertname="customer_suspended"', 'severity="warning"', 'customer_id="c-1"'],
        startTime: undefined,
        endTime: expect.objectContaining({ seconds: expect.any(BigInt) }),
        comment: "known: suspended on purpose",
      }),
    );
    const call = methods.silences.createSilence.mock.calls[0]![0] as unknown as { endTime: { seconds: bigint } };
    expect(Number(call.endTime.seconds) * 1000 - Date.now()).toBeGreaterThan(2 * 3600_000 - 60_000);
    const listed = within(await screen.findByRole("table", { name: "Silences" })).getAllByRole("row")[1]!;
    expect(listed).toHaveTextContent("Active");
    expect(listed).toHaveTextContent("known: suspended on purpose");
    expect(screen.getByText("The silence was created.")).toBeInTheDocument();
  });

  it("puts the server's violation beside the matchers and asks for a comment before calling", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    render(wrap(<Silences client={client} />));
    await screen.findByText("No silences");
    await user.type(screen.getByLabelText("Matchers"), 'alertname="x"{Enter}nonsense');
    await user.click(screen.getByRole("button", { name: "Create silence" }));
    expect(screen.getByLabelText("Comment")).toHaveAccessibleDescription("Say why, for whoever finds the silence later.");
    expect(methods.silences.createSilence).not.toHaveBeenCalled();
    await user.type(screen.getByLabelText("Comment"), "maintenance");
    await user.click(screen.getByRole("button", { name: "Create silence" }));
    await waitFor(() => expect(screen.getByLabelText("Matchers")).toHaveAccessibleDescription("Is not a matcher"));
    expect(screen.getByLabelText("Matchers")).toHaveFocus();
  });

  it("expires a silence only after a confirmation", async () => {
    const user = userEvent.setup();
    const { client, methods, silences } = fakeClient();
    silences.push(silence("s-1", alerts.SilenceState.ACTIVE, "maintenance"), silence("s-0", alerts.SilenceState.EXPIRED, "old"));
    render(wrap(<Silences client={client} />));
    await screen.findByRole("table", { name: "Silences" });
    expect(screen.queryByRole("button", { name: "Expire silence: old" })).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Expire silence: maintenance" }));
    await user.click(within(screen.getByRole("alertdialog", { name: "Expire this silence?" })).getByRole("button", { name: "Keep it" }));
    expect(methods.silences.expireSilence).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Expire silence: maintenance" }));
    await user.click(screen.getByRole("button", { name: "Yes, expire the silence" }));
    await waitFor(() => expect(methods.silences.expireSilence).toHaveBeenCalledWith({ silenceId: "s-1" }));
    await waitFor(() => expect(screen.queryByRole("button", { name: "Expire silence: maintenance" })).not.toBeInTheDocument());
    expect(screen.getAllByText("Expired")).toHaveLength(2);
  });
});

describe("RoutingEditor", () => {
  const config = create(alerts.RoutingConfigSchema, { route: { receiver: "ops-slack", groupBy: ["alertname"], routes: [{ receiver: "pager", matchers: ['severity="critical"'] }] } });

  it("shows the tree in force, sends the edited JSON, and lists the server's violations beside the editor", async () => {
    const user = userEvent.setup();
    const replaceRoutingConfig = vi.fn(async () => {
      throw invalidArgument([{ field: "config.route.routes[0].receiver", description: 'unknown receiver "pagr"' }]);
    });
    const client = { routing: { getRoutingConfig: vi.fn(async () => create(alerts.GetRoutingConfigResponseSchema, { config, updateTime: { seconds: 1_800_000_000n } })), replaceRoutingConfig } } as unknown as CanopyClient;
    render(wrap(<RoutingEditor client={client} />));
    expect(await screen.findByText('severity="critical"')).toBeInTheDocument();
    const editor = screen.getByLabelText("Configuration (JSON)");
    expect(JSON.parse((editor as HTMLTextAreaElement).value)).toEqual({ route: { receiver: "ops-slack", group_by: ["alertname"], routes: [{ receiver: "pager", matchers: ['severity="critical"'] }] } });

    await user.clear(editor);
    await user.click(editor);
    await user.paste('{"route": {"receiver": "ops-slack", "routes": [{"receiver": "pagr"}]}}');
    await user.click(screen.getByRole("button", { name: "Save configuration" }));
    await waitFor(() => expect(replaceRoutingConfig).toHaveBeenCalledWith({ config: expect.objectContaining({ route: expect.objectContaining({ receiver: "ops-slack", routes: [expect.objectContaining({ receiver: "pagr" })] }) }) }));
    const problems = await screen.findByRole("region", { name: "Problems" });
    expect(problems).toHaveTextContent('config.route.routes[0].receiver: unknown receiver "pagr"');
    expect(editor).toHaveAccessibleDescription(/refused the configuration: one problem/);
  });

  it("refuses text that is not a configuration without calling", async () => {
    const user = userEvent.setup();
    const replaceRoutingConfig = vi.fn();
    const client = { routing: { getRoutingConfig: vi.fn(async () => create(alerts.GetRoutingConfigResponseSchema, {})), replaceRoutingConfig } } as unknown as CanopyClient;
    render(wrap(<RoutingEditor client={client} />));
    expect(await screen.findByText(/No routing configuration yet/)).toBeInTheDocument();
    const editor = screen.getByLabelText("Configuration (JSON)");
    await user.clear(editor);
    await user.type(editor, "route: nope");
    await user.click(screen.getByRole("button", { name: "Save configuration" }));
    expect(editor).toHaveAccessibleDescription(/This is not a routing configuration/);
    expect(replaceRoutingConfig).not.toHaveBeenCalled();
  });
});

describe("escalation policies", () => {
  it("reads targets one per line", () => {
    expect(parseTargets("receiver: ops-slack\nschedule:primary\nuser:u-1")).toEqual([
      { target: { case: "receiver", value: "ops-slack" } },
      { target: { case: "schedule", value: "primary" } },
      { target: { case: "userId", value: "u-1" } },
    ]);
    expect(parseTargets("pager")).toBeUndefined();
  });

  it("creates a policy step by step, shows a step's violation beside it, and deletes after a confirmation", async () => {
    const user = userEvent.setup();
    const policies: alerts.EscalationPolicy[] = [];
    const methods = {
      listEscalationPolicies: vi.fn(async () => create(alerts.ListEscalationPoliciesResponseSchema, { escalationPolicies: [...policies] })),
      createEscalationPolicy: vi.fn(async ({ escalationPolicy }: { escalationPolicy: alerts.EscalationPolicy }) => {
        if (escalationPolicy.steps[1]?.targets[0]?.target.value === "ghost") throw invalidArgument([{ field: "escalation_policy.steps[1].targets[0]", description: 'unknown receiver "ghost"' }]);
        const created = create(alerts.EscalationPolicySchema, { ...escalationPolicy, id: "p-1" });
        policies.push(created);
        return create(alerts.CreateEscalationPolicyResponseSchema, { escalationPolicy: created });
      }),
      deleteEscalationPolicy: vi.fn(async () => {
        policies.pop();
        return create(alerts.DeleteEscalationPolicyResponseSchema, {});
      }),
    };
    render(wrap(<EscalationPolicies client={{ escalationPolicies: methods } as unknown as CanopyClient} />));
    await screen.findByText("No escalation policies");
    await user.type(screen.getByLabelText("Policy name"), "primary");
    await user.type(screen.getByLabelText("Step 1 targets"), "receiver:ops-slack");
    await user.click(screen.getByRole("button", { name: "Add step" }));
    await user.type(screen.getByLabelText("Step 2 targets"), "receiver:ghost");
    await user.click(screen.getByRole("button", { name: "Create policy" }));
    await waitFor(() => expect(screen.getByLabelText("Step 2 targets")).toHaveAccessibleDescription('Unknown receiver "ghost"'));
    await user.clear(screen.getByLabelText("Step 2 targets"));
    await user.type(screen.getByLabelText("Step 2 targets"), "schedule:primary");
    await user.clear(screen.getByLabelText("Repeat"));
    await user.type(screen.getByLabelText("Repeat"), "2");
    await user.click(screen.getByRole("button", { name: "Create policy" }));
    await waitFor(() =>
      expect(methods.createEscalationPolicy).toHaveBeenLastCalledWith({
        escalationPolicy: {
          name: "primary",
          repeat: 2,
          steps: [
            { targets: [{ target: { case: "receiver", value: "ops-slack" } }], wait: { seconds: 300n, nanos: 0 } },
            { targets: [{ target: { case: "schedule", value: "primary" } }], wait: { seconds: 600n, nanos: 0 } },
          ],
        },
      }),
    );
    const row = within(await screen.findByRole("table", { name: "Escalation policies" })).getAllByRole("row")[1]!;
    expect(row).toHaveTextContent("Pages receiver ops-slack; waits 5 min");
    expect(row).toHaveTextContent("Pages whoever is on call on primary; waits 10 min");
    expect(row).toHaveTextContent("2 more times");

    await user.click(within(row).getByRole("button", { name: "Delete primary" }));
    await user.click(within(screen.getByRole("alertdialog", { name: "Delete primary?" })).getByRole("button", { name: "Keep it" }));
    expect(methods.deleteEscalationPolicy).not.toHaveBeenCalled();
    await user.click(within(row).getByRole("button", { name: "Delete primary" }));
    await user.click(screen.getByRole("button", { name: "Yes, delete the policy" }));
    await waitFor(() => expect(methods.deleteEscalationPolicy).toHaveBeenCalledWith({ escalationPolicyId: "p-1" }));
    expect(await screen.findByText("No escalation policies")).toBeInTheDocument();
  });
});

describe("on-call schedules", () => {
  it("shows who is on call now, creates a schedule with a layer and an override, with violations beside the layer's fields", async () => {
    const user = userEvent.setup();
    const schedules: alerts.Schedule[] = [create(alerts.ScheduleSchema, { id: "sch-1", name: "primary", layers: [{ name: "Layer 1", userIds: ["u-ann", "u-bob"], rotation: alerts.RotationLength.WEEKLY, timeZone: "Europe/Berlin" }] })];
    const methods = {
      listSchedules: vi.fn(async () => create(alerts.ListSchedulesResponseSchema, { schedules: [...schedules] })),
      getOnCall: vi.fn(async ({ scheduleId }: { scheduleId: string }) => create(alerts.GetOnCallResponseSchema, { userId: scheduleId === "sch-1" ? "u-ann" : "" })),
      createSchedule: vi.fn(async ({ schedule }: { schedule: alerts.Schedule }) => {
        if (schedule.layers[0]!.timeZone === "Mars/Olympus") throw invalidArgument([{ field: "schedule.layers[0].time_zone", description: "unknown time zone" }]);
        const created = create(alerts.ScheduleSchema, { ...schedule, id: "sch-2" });
        schedules.push(created);
        return create(alerts.CreateScheduleResponseSchema, { schedule: created });
      }),
      deleteSchedule: vi.fn(async () => create(alerts.DeleteScheduleResponseSchema, {})),
    };
    render(wrap(<OnCallSchedules client={{ onCall: methods } as unknown as CanopyClient} />));
    const row = within(await screen.findByRole("table", { name: "Schedules" })).getAllByRole("row")[1]!;
    expect(await within(row).findByText("u-ann")).toBeInTheDocument();
    expect(methods.getOnCall).toHaveBeenCalledWith({ scheduleId: "sch-1" });
    expect(row).toHaveTextContent("u-ann, u-bob — weekly");

    await user.type(screen.getByLabelText("Schedule name"), "secondary");
    await user.type(screen.getByLabelText("Layer 1 users"), "u-cat, u-dan");
    await user.selectOptions(screen.getByLabelText("Layer 1 rotation"), "Every N hours");
    await user.clear(screen.getByLabelText("Layer 1 hours per turn"));
    await user.type(screen.getByLabelText("Layer 1 hours per turn"), "8");
    await user.type(screen.getByLabelText("Layer 1 first hand-off"), "2027-01-04T09:00");
    await user.clear(screen.getByLabelText("Layer 1 time zone"));
    await user.type(screen.getByLabelText("Layer 1 time zone"), "Mars/Olympus");
    await user.click(screen.getByRole("button", { name: "Add override" }));
    await user.type(screen.getByLabelText("Override 1 user"), "u-eve");
    await user.type(screen.getByLabelText("Override 1 from"), "2027-01-05T09:00");
    await user.type(screen.getByLabelText("Override 1 until"), "2027-01-06T09:00");
    await user.click(screen.getByRole("button", { name: "Create schedule" }));
    await waitFor(() => expect(screen.getByLabelText("Layer 1 time zone")).toHaveAccessibleDescription("Unknown time zone"));
    await user.clear(screen.getByLabelText("Layer 1 time zone"));
    await user.type(screen.getByLabelText("Layer 1 time zone"), "Europe/Berlin");
    await user.click(screen.getByRole("button", { name: "Create schedule" }));
    await waitFor(() => expect(methods.createSchedule).toHaveBeenCalledTimes(2));
    expect(methods.createSchedule).toHaveBeenLastCalledWith({
      schedule: {
        name: "secondary",
        layers: [
          {
            name: "Layer 1",
            userIds: ["u-cat", "u-dan"],
            rotation: alerts.RotationLength.HOURS,
            rotationHours: 8,
            rotationStartTime: { seconds: BigInt(new Date("2027-01-04T09:00").getTime() / 1000), nanos: 0 },
            timeZone: "Europe/Berlin",
            priority: 0,
          },
        ],
        overrides: [{ userId: "u-eve", startTime: { seconds: BigInt(new Date("2027-01-05T09:00").getTime() / 1000), nanos: 0 }, endTime: { seconds: BigInt(new Date("2027-01-06T09:00").getTime() / 1000), nanos: 0 } }],
      },
    });
    const second = within(await screen.findByRole("table", { name: "Schedules" })).getAllByRole("row")[2]!;
    expect(await within(second).findByText("Nobody")).toBeInTheDocument();

    await user.click(within(second).getByRole("button", { name: "Delete secondary" }));
    await user.click(screen.getByRole("button", { name: "Yes, delete the schedule" }));
    await waitFor(() => expect(methods.deleteSchedule).toHaveBeenCalledWith({ scheduleId: "sch-2" }));
  });
});

describe("incidents", () => {
  it("filters by state, acknowledges at once and resolves after a confirmation, showing the pages sent", async () => {
    const user = userEvent.setup();
    const incident = create(alerts.IncidentSchema, {
      id: "i-1",
      summary: '{alertname="site_failed"}',
      escalationPolicy: "primary",
      state: alerts.IncidentState.TRIGGERED,
      triggerTime: { seconds: 1_800_000_000n },
      pages: [{ id: "pg-1", step: 0, receiver: "ops-slack", pageTime: { seconds: 1_800_000_000n } }, { id: "pg-2", step: 1, nobodyOnCallSchedule: "primary", pageTime: { seconds: 1_800_000_300n } }],
    });
    const methods = {
      listIncidents: vi.fn(async () => create(alerts.ListIncidentsResponseSchema, { incidents: [incident] })),
      acknowledgeIncident: vi.fn(async () => {
        incident.state = alerts.IncidentState.ACKNOWLEDGED;
        incident.acknowledgedBy = "u-admin";
        return create(alerts.AcknowledgeIncidentResponseSchema, { incident: create(alerts.IncidentSchema, incident) });
      }),
      resolveIncident: vi.fn(async () => {
        incident.state = alerts.IncidentState.RESOLVED;
        return create(alerts.ResolveIncidentResponseSchema, { incident: create(alerts.IncidentSchema, incident) });
      }),
    };
    render(wrap(<Incidents client={{ incidents: methods } as unknown as CanopyClient} />));
    const pages = await screen.findByRole("list", { name: "Pages of incident i-1" });
    expect(pages).toHaveTextContent("Step 1: receiver ops-slack");
    expect(pages).toHaveTextContent("Step 2: nobody (no one on call on primary)");
    expect(methods.listIncidents).toHaveBeenLastCalledWith({ state: alerts.IncidentState.UNSPECIFIED, page: { pageSize: 20, pageToken: "" } });

    await user.click(screen.getByRole("button", { name: "Acknowledge" }));
    await waitFor(() => expect(methods.acknowledgeIncident).toHaveBeenCalledWith({ incidentId: "i-1" }));
    await waitFor(() => expect(within(screen.getAllByRole("row")[1]!).getAllByText("Acknowledged")[0]).toHaveAttribute("data-tone", "warning"));
    expect(screen.queryByRole("button", { name: "Acknowledge" })).not.toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Resolve" }));
    await user.click(within(screen.getByRole("alertdialog", { name: "Resolve this incident?" })).getByRole("button", { name: "Cancel" }));
    expect(methods.resolveIncident).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Resolve" }));
    await user.click(screen.getByRole("button", { name: "Yes, resolve the incident" }));
    await waitFor(() => expect(methods.resolveIncident).toHaveBeenCalledWith({ incidentId: "i-1" }));
    await waitFor(() => expect(screen.queryByRole("button", { name: "Resolve" })).not.toBeInTheDocument());

    await user.selectOptions(screen.getByLabelText("State"), "Resolved");
    await waitFor(() => expect(methods.listIncidents).toHaveBeenLastCalledWith(expect.objectContaining({ state: alerts.IncidentState.RESOLVED })));
  });
});

describe("platform receivers", () => {
  it("offers the escalation policies as a kind and deletes by id after a confirmation", async () => {
    const user = userEvent.setup();
    const receiver = create(alerts.ReceiverSchema, { id: "r-1", name: "pager", kind: { case: "escalation", value: { escalationPolicyId: "p-1" } } });
    const methods = {
      receivers: {
        listReceivers: vi.fn(async () => create(alerts.ListReceiversResponseSchema, { receivers: [receiver] })),
        createReceiver: vi.fn(),
        deleteReceiver: vi.fn(async () => create(alerts.DeleteReceiverResponseSchema, {})),
      },
      escalationPolicies: { listEscalationPolicies: vi.fn(async () => create(alerts.ListEscalationPoliciesResponseSchema, { escalationPolicies: [{ id: "p-1", name: "primary" }] })) },
    };
    render(wrap(<PlatformReceivers client={methods as unknown as CanopyClient} />));
    const row = within(await screen.findByRole("table", { name: "Receivers" })).getAllByRole("row")[1]!;
    expect(row).toHaveTextContent("Escalation policy");
    await user.selectOptions(screen.getByLabelText("Kind"), "Escalation policy");
    expect(await screen.findByRole("option", { name: "primary" })).toBeInTheDocument();
    await user.click(within(row).getByRole("button", { name: "Delete pager" }));
    await user.click(screen.getByRole("button", { name: "Yes, delete the receiver" }));
    await waitFor(() => expect(methods.receivers.deleteReceiver).toHaveBeenCalledWith({ receiverId: "r-1" }));
  });
});
