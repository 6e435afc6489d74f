//! What each policy said about a plan: its name, tier and level, whether it
//! passed, its `deny` and `warn` messages and any evaluation error.
import type { policy } from "@canopy/sdk";
import { StatusBadge } from "../components/status-badge";
import { enforcementLevel, tierLabel } from "./policy-words";

export interface PolicyDecisionsProps {
  decisions: policy.Decision[];
  /** The list's accessible name, e.g. "Decisions on shop". */
  label?: string;
  /** What to say when there are none. */
  empty?: string;
}

/** Whether a decision fails its policy: a denial or an evaluation error. */
export const decisionFails = (d: policy.Decision): boolean => d.deny.length > 0 || d.error !== "";

export function PolicyDecisions({ decisions, label = "Policy decisions", empty = "No policy applies." }: PolicyDecisionsProps) {
  if (decisions.length === 0) return <p className="m-0 text-muted">{empty}</p>;
  return (
    <ul className="m-0 flex list-none flex-col gap-3 p-0" aria-label={label}>
      {decisions.map((d, i) => {
        const level = enforcementLevel(d.enforcement);
        const fails = decisionFails(d);
        return (
          <li key={`${d.policyId}-${i}`} className="rounded-brand border border-line p-3" aria-label={d.policyName}>
            <div className="flex flex-wrap items-center gap-2">
              <strong>{d.policyName}</strong>
              <span className="text-sm text-muted">{tierLabel(d.tier)} policy</span>
              <StatusBadge label={level.label} tone={level.tone} />
              <StatusBadge label={fails ? "Fails" : d.warn.length > 0 ? "Passes with warnings" : "Passes"} tone={fails ? "danger" : d.warn.length > 0 ? "warning" : "success"} />
            </div>
            {d.deny.length > 0 && (
              <ul className="m-0 mt-2 pl-5 text-danger" aria-label={`Denials of ${d.policyName}`}>
                {d.deny.map((m, j) => (
                  <li key={j}>Deny: {m}</li>
                ))}
              </ul>
            )}
            {d.warn.length > 0 && (
              <ul className="m-0 mt-2 pl-5 text-warning" aria-label={`Warnings of ${d.policyName}`}>
                {d.warn.map((m, j) => (
                  <li key={j}>Warn: {m}</li>
                ))}
              </ul>
            )}
            {d.error && <p className="m-0 mt-2 text-danger">Evaluation error: {d.error}</p>}
          </li>
        );
      })}
    </ul>
  );
}
