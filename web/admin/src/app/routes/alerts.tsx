//! `/alerts/*`: platform alerting. Every AlertService, SilenceService,
//! RoutingService, ReceiverService, EscalationPolicyService, OnCallService and
//! IncidentService method admits platform admins and operators alike (the proto's
//! policies), so both roles get the same pages with the same actions.
import { type Section, SectionLayout, SectionPage, useCanopy } from "@canopy/ui";
import { EscalationPolicies } from "../../features/alerting/components/escalation-policies";
import { Incidents } from "../../features/alerting/components/incidents";
import { OnCallSchedules } from "../../features/alerting/components/on-call-schedules";
import { PlatformAlerts } from "../../features/alerting/components/platform-alerts";
import { PlatformReceivers } from "../../features/alerting/components/platform-receivers";
import { RoutingEditor } from "../../features/alerting/components/routing-editor";
import { Silences } from "../../features/alerting/components/silences";

const SECTIONS: Section[] = [
  { to: "/alerts", label: "Alerts", end: true },
  { to: "/alerts/silences", label: "Silences" },
  { to: "/alerts/incidents", label: "Incidents" },
  { to: "/alerts/routing", label: "Routing" },
  { to: "/alerts/receivers", label: "Receivers" },
  { to: "/alerts/escalation", label: "Escalation" },
  { to: "/alerts/on-call", label: "On-call" },
];

export function AlertsLayout() {
  return <SectionLayout label="Alerting" sections={SECTIONS} />;
}

export function AlertsRoute() {
  const { client } = useCanopy();
  return (
    <SectionPage title="Alerts">
      <PlatformAlerts client={client} />
    </SectionPage>
  );
}

export function SilencesRoute() {
  const { client } = useCanopy();
  return (
    <SectionPage title="Silences" intro="A silence mutes the alerts matching all of its matchers, for every receiver, the customers' included.">
      <Silences client={client} />
    </SectionPage>
  );
}

export function IncidentsRoute() {
  const { client } = useCanopy();
  return (
    <SectionPage title="Incidents">
      <Incidents client={client} />
    </SectionPage>
  );
}

export function RoutingRoute() {
  const { client } = useCanopy();
  return (
    <SectionPage title="Routing" intro="Where platform alerts go: the route tree, inhibit rules and time intervals, replaced as a whole, with Alertmanager's semantics.">
      <RoutingEditor client={client} />
    </SectionPage>
  );
}

export function ReceiversRoute() {
  const { client } = useCanopy();
  return (
    <SectionPage title="Receivers">
      <PlatformReceivers client={client} />
    </SectionPage>
  );
}

export function EscalationRoute() {
  const { client } = useCanopy();
  return (
    <SectionPage title="Escalation policies">
      <EscalationPolicies client={client} />
    </SectionPage>
  );
}

export function OnCallRoute() {
  const { client } = useCanopy();
  return (
    <SectionPage title="On-call schedules">
      <OnCallSchedules client={client} />
    </SectionPage>
  );
}
