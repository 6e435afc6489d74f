//! A policy read only: what it is and, where the reader may see it, the Rego
//! evaluated. A customer reading a platform policy gets its name, description,
//! level and whether it is enabled — never its rules.
import type { policy } from "@canopy/sdk";
import { DescriptionList } from "../components/description-list";
import { StatusBadge } from "../components/status-badge";
import { formatDateTime } from "../sites/time-in-words";
import { enforcementLevel, kindLabel, scopeText, tierLabel } from "./policy-words";

export function PolicySummary({ policy: p }: { policy: policy.Policy }) {
  const level = enforcementLevel(p.spec?.enforcement ?? 0);
  return (
    <div className="flex flex-col gap-3">
      <DescriptionList aria-label="Policy">
        <dt>Tier</dt>
        <dd>{tierLabel(p.tier)}</dd>
        <dt>Kind</dt>
        <dd>{kindLabel(p.kind)}</dd>
        <dt>Enforcement</dt>
        <dd>
          <StatusBadge label={level.label} tone={level.tone} />
        </dd>
        <dt>Enabled</dt>
        <dd>{p.spec?.enabled ? "Yes" : "No"}</dd>
        <dt>Description</dt>
        <dd>{p.spec?.description || "—"}</dd>
        {p.spec?.scope && (
          <>
            <dt>Scope</dt>
            <dd>{scopeText(p.spec.scope)}</dd>
          </>
        )}
        <dt>Changed</dt>
        <dd>{formatDateTime(p.updateTime)}</dd>
      </DescriptionList>
      {p.rego ? (
        <details>
          <summary className="cursor-pointer font-semibold">The Rego evaluated</summary>
          <pre className="mt-2 overflow-x-auto rounded-brand border border-line bg-canvas p-3 text-sm" tabIndex={0}>
            {p.rego}
          </pre>
        </details>
      ) : (
        <p className="m-0 text-muted">Its rules are not shown: it is set by the platform.</p>
      )}
    </div>
  );
}
