//! `/alerts/*`: platform alerting. Every AlertService, SilenceService,
//! RoutingService, ReceiverService, EscalationPolicyService, OnCallService and
//! IncidentService method admits platform admins and operators alike (the proto's
//! policies), so both roles get the same pages with the same actions.
import type { ReactNode } from "react";
import { NavLink, Outlet } from "react-router";
import { useCanopy } from "@canopy/ui";
import { EscalationPolicies } from "../../features/alerting/components/escalation-policies";
import { Incidents } from "../../features/alerting/components/incidents";
import { OnCallSchedules } from "../../features/alerting/components/on-call-schedules";
import { PlatformAlerts } from "../../features/alerting/components/platform-alerts";
import { PlatformReceivers } from "../../features/alerting/components/platform-receivers";
import { RoutingEditor } from "../../features/alerting/components/routing-editor";
import { Silences } from "../../features/alerting/components/silences";

const SECTIONS = [
  { to: "/alerts", label: "Alerts", end: true },
  { to: "/alerts/silences", label: "Silences" },
  { to: "/alerts/incidents", label: "Incidents" },
  { to: "/alerts/routing", label: "Routing" },
  { to: "/alerts/receivers", label: "Receivers" },
  { to: "/alerts/escalation", label: "Escalation" },
  { to: "/alerts/on-call", label: "On-call" },
];

export function AlertsLayout() {
  return (
    <div className="flex flex-col gap-4">
      <nav aria-label="Alerting" className="flex flex-wrap gap-x-4 gap-y-2 border-b border-line pb-2">
        {SECTIONS.map((s) => (
          <NavLink key={s.to} to={s.to} end={s.end} className="font-semibold aria-[current=page]:underline aria-[current=page]:underline-offset-4">
            {s.label}
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </div>
  );
}

function Page({ title, intro, children }: { title: string; intro?: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-4">
      <h1 className="m-0">{title}</h1>
      {intro && <p className="m-0 text-muted">{intro}</p>}
      {children}
    </div>
  );
}

export function AlertsRoute() {
  const { client } = useCanopy();
  return (
    <Page title="Alerts">
      <PlatformAlerts client={client} />
    </Page>
  );
}

export function SilencesRoute() {
  const { client } = useCanopy();
  return (
    <Page title="Silences" intro="A silence mutes the alerts matching all of its matchers, for every receiver, the customers' included.">
      <Silences client={client} />
    </Page>
  );
}

export function IncidentsRoute() {
  const { client } = useCanopy();
  return (
    <Page title="Incidents">
      <Incidents client={client} />
    </Page>
  );
}

export function RoutingRoute() {
  const { client } = useCanopy();
  return (
    <Page title="Routing" intro="Where platform alerts go: the route tree, inhibit rules and time intervals, replaced as a whole, with Alertmanager's semantics.">
      <RoutingEditor client={client} />
    </Page>
  );
}

export function ReceiversRoute() {
  const { client } = useCanopy();
  return (
    <Page title="Receivers">
      <PlatformReceivers client={client} />
    </Page>
  );
}

export function EscalationRoute() {
  const { client } = useCanopy();
  return (
    <Page title="Escalation policies">
      <EscalationPolicies client={client} />
    </Page>
  );
}

export function OnCallRoute() {
  const { client } = useCanopy();
  return (
    <Page title="On-call schedules">
      <OnCallSchedules client={client} />
    </Page>
  );
}
