//! Alerts in words: severities and states with their tones, labels as matcher
//! text (`alertname="site_failed"`), and the matchers that silence one alert.
import { alerts } from "@canopy/sdk";
import type { StatusTone } from "../components/status-badge";

/** Label names shown first, in this order; the rest by name. */
const FIRST = ["alertname", "severity", "customer_id"];

/** The labels as [name, value] pairs: `alertname`, `severity`, `customer_id` first, then by name. */
export function sortedLabels(labels: Record<string, string>): [string, string][] {
  const rank = (name: string) => (FIRST.includes(name) ? FIRST.indexOf(name) : FIRST.length);
  return Object.entries(labels).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

/** A label value as a quoted matcher value (Alertmanager's escaping: `\\`, `"`, newlines). */
const quote = (value: string) => `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

/** `name="value"`: an equality matcher as the API reads it. */
export function matcherText(name: string, value: string): string {
  return `${name}=${quote(value)}`;
}

/** The matchers that match exactly this alert: one equality matcher per label. */
export function matchersForAlert(alert: Pick<alerts.Alert, "labels">): string[] {
  return sortedLabels(alert.labels).map(([name, value]) => matcherText(name, value));
}

const SEVERITY_TONE: Record<string, StatusTone> = { critical: "danger", warning: "warning", info: "neutral" };

/** A severity label's tone; an unknown severity is neutral. */
export const severityTone = (severity: string): StatusTone => SEVERITY_TONE[severity] ?? "neutral";

/** "Critical", "Warning", "Info"; "None" for an alert without one. */
export const severityLabel = (severity: string): string => (severity ? severity[0]!.toUpperCase() + severity.slice(1) : "None");

/** An alert's state in words and colour. */
export function alertState(state: alerts.AlertState): { label: string; tone: StatusTone } {
  switch (state) {
    case alerts.AlertState.FIRING:
      return { label: "Firing", tone: "danger" };
    case alerts.AlertState.RESOLVED:
      return { label: "Resolved", tone: "success" };
    default:
      return { label: "Unknown", tone: "neutral" };
  }
}

/** `?state=` values; absent means firing only (what needs attention). */
export const ALERT_STATE_FILTERS = [
  { value: "", label: "Firing" },
  { value: "resolved", label: "Resolved" },
  { value: "any", label: "Firing and resolved" },
];

/** `?state=` values where a list shows every alert by default (a customer's recent alerts). */
export const ALERT_STATE_FILTERS_ALL_FIRST = [
  { value: "", label: "Firing and resolved" },
  { value: "firing", label: "Firing" },
  { value: "resolved", label: "Resolved" },
];

/** The AlertState a `?state=` value asks for; "" is firing, or both where `allByDefault`. */
export function alertStateFromName(name: string, allByDefault = false): alerts.AlertState {
  if (name === "resolved") return alerts.AlertState.RESOLVED;
  if (name === "any" || (name === "" && allByDefault)) return alerts.AlertState.UNSPECIFIED;
  return alerts.AlertState.FIRING;
}

/** A silence's state in words and colour. */
export function silenceState(state: alerts.SilenceState): { label: string; tone: StatusTone } {
  switch (state) {
    case alerts.SilenceState.ACTIVE:
      return { label: "Active", tone: "success" };
    case alerts.SilenceState.PENDING:
      return { label: "Pending", tone: "progress" };
    case alerts.SilenceState.EXPIRED:
      return { label: "Expired", tone: "neutral" };
    default:
      return { label: "Unknown", tone: "neutral" };
  }
}

/** An incident's state in words and colour. */
export function incidentState(state: alerts.IncidentState): { label: string; tone: StatusTone } {
  switch (state) {
    case alerts.IncidentState.TRIGGERED:
      return { label: "Triggered", tone: "danger" };
    case alerts.IncidentState.ACKNOWLEDGED:
      return { label: "Acknowledged", tone: "warning" };
    case alerts.IncidentState.RESOLVED:
      return { label: "Resolved", tone: "success" };
    default:
      return { label: "Unknown", tone: "neutral" };
  }
}

/** What a receiver is, in words: "Email", "Slack", "Signed webhook", "Escalation policy". */
export function receiverKind(receiver: Pick<alerts.Receiver, "kind">): string {
  switch (receiver.kind.case) {
    case "email":
      return "Email";
    case "slack":
      return "Slack";
    case "webhook":
      return "Signed webhook";
    case "escalation":
      return "Escalation policy";
    default:
      return "Unknown";
  }
}

/** Where a receiver sends: the addresses, the webhook's URL, Slack's host (its URL is a secret), or the policy's id. */
export function receiverTarget(receiver: Pick<alerts.Receiver, "kind">): string {
  switch (receiver.kind.case) {
    case "email":
      return receiver.kind.value.addresses.join(", ");
    case "slack": {
      const url = receiver.kind.value.webhookUrl;
      try {
        return url ? `${new URL(url).host} (incoming webhook)` : "Slack incoming webhook";
      } catch {
        return "Slack incoming webhook";
      }
    }
    case "webhook":
      return receiver.kind.value.url;
    case "escalation":
      return receiver.kind.value.escalationPolicyId;
    default:
      return "—";
  }
}
