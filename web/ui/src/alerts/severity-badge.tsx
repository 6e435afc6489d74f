//! Severity and state badges for alerts: words and colour, never colour alone.
import type { alerts } from "@canopy/sdk";
import { StatusBadge } from "../components/status-badge";
import { alertState, severityLabel, severityTone } from "./alert-words";

/** An alert's `severity` label: Critical (danger), Warning, Info, or None. */
export function SeverityBadge({ severity }: { severity: string }) {
  return <StatusBadge label={severityLabel(severity)} tone={severityTone(severity)} />;
}

/** Firing or Resolved. */
export function AlertStateBadge({ state }: { state: alerts.AlertState }) {
  const { label, tone } = alertState(state);
  return <StatusBadge label={label} tone={tone} />;
}
