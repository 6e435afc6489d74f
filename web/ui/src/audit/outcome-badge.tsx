import type { audit } from "@canopy/sdk";
import { StatusBadge, type StatusTone } from "../components/status-badge";

/** `OK` in green; `UNKNOWN` (committed, but no answer was sent) as a warning; any refusal in red. */
function tone(code: string): StatusTone {
  if (code === "OK") return "success";
  if (code === "UNKNOWN" || code === "") return "warning";
  return "danger";
}

/** An event's outcome: its code name, and the refusal's reason under it when there is one. */
export function OutcomeBadge({ outcome }: { outcome: audit.Outcome | undefined }) {
  const code = outcome?.code ?? "";
  return (
    <span className="flex flex-col items-start gap-0.5">
      <StatusBadge label={code || "No outcome"} tone={tone(code)} />
      {outcome?.reason && <span className="font-mono text-xs break-all">{outcome.reason}</span>}
    </span>
  );
}
