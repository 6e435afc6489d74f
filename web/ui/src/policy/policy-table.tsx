//! Policies in a table (cards at phone width): name (a link where the portal gives
//! one), tier, kind, level, scope, whether enabled, and the portal's actions.
import type { ReactNode } from "react";
import type { policy } from "@canopy/sdk";
import { StatusBadge } from "../components/status-badge";
import { Table } from "../components/table";
import { enforcementLevel, kindLabel, scopeText, tierLabel } from "./policy-words";

export interface PolicyTableProps {
  policies: policy.Policy[];
  /** The name cell, e.g. a link to the policy. */
  name?: (p: policy.Policy) => ReactNode;
  actions?: (p: policy.Policy) => ReactNode;
}

export function PolicyTable({ policies, name, actions }: PolicyTableProps) {
  return (
    <Table aria-label="Policies">
      <thead>
        <tr>
          <th>Name</th>
          <th>Tier</th>
          <th>Kind</th>
          <th>Level</th>
          <th>Scope</th>
          <th>Enabled</th>
          {actions && (
            <th>
              <span className="sr-only">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {policies.map((p) => {
          const level = enforcementLevel(p.spec?.enforcement ?? 0);
          return (
            <tr key={p.id}>
              <td className="font-semibold">
                {name ? name(p) : p.spec?.name}
                {p.spec?.description && <span className="block text-sm font-normal text-muted">{p.spec.description}</span>}
              </td>
              <td>{tierLabel(p.tier)}</td>
              <td>{kindLabel(p.kind)}</td>
              <td>
                <StatusBadge label={level.label} tone={level.tone} />
              </td>
              <td>{p.spec?.scope ? scopeText(p.spec.scope) : "—"}</td>
              <td>{p.spec?.enabled ? "Yes" : "No"}</td>
              {actions && <td>{actions(p)}</td>}
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}
