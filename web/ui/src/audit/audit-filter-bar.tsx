//! The audit trail's filters: actor, action prefix and resource typed and applied
//! together (Enter or "Apply"), the outcome and the dates applied at once, and the
//! page's own controls (the admin's customer picker) beside them.
import { type FormEvent, type ReactNode, useState } from "react";
import { Button } from "../components/button";
import { SelectField, TextField } from "../components/text-field";
import type { AuditFilterValues } from "./audit-filters";
import { OUTCOME_CODES } from "./audit-words";

type Typed = "actor" | "action" | "resource";

export interface AuditFilterBarProps {
  values: AuditFilterValues;
  onChange: (changes: Partial<AuditFilterValues>) => void;
  /** Offers the resource id filter. */
  resource?: boolean;
  /** The page's own controls, shown first. */
  children?: ReactNode;
}

export function AuditFilterBar({ values, onChange, resource = true, children }: AuditFilterBarProps) {
  const typed = (v: AuditFilterValues) => ({ actor: v.actor, action: v.action, resource: v.resource });
  const [text, setText] = useState<Record<Typed, string>>(typed(values));
  // The applied filters changed elsewhere (a link, the back button, "Clear"): show them.
  const [shown, setShown] = useState(JSON.stringify(typed(values)));
  if (shown !== JSON.stringify(typed(values))) {
    setShown(JSON.stringify(typed(values)));
    setText(typed(values));
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChange({ actor: text.actor.trim(), action: text.action.trim(), resource: resource ? text.resource.trim() : "" });
  };
  const set = (field: Typed) => (e: { target: { value: string } }) => setText({ ...text, [field]: e.target.value });
  const filtered = Object.values(values).some(Boolean);

  return (
    <form role="search" aria-label="Filter audit events" className="flex flex-col gap-3" onSubmit={submit}>
      {children && <div className="flex flex-wrap items-end gap-3 max-sm:flex-col max-sm:items-stretch">{children}</div>}
      <div className="grid grid-cols-3 gap-3 max-md:grid-cols-1">
        <TextField label="Action starts with" hint="e.g. /canopy.sites.v1.SiteService/ or security." value={text.action} onChange={set("action")} />
        <TextField label="Actor id" hint="A user's or API key's id, or a workload." value={text.actor} onChange={set("actor")} />
        {resource && <TextField label="Resource id" hint="A site, customer, user… id." value={text.resource} onChange={set("resource")} />}
      </div>
      <div className="flex flex-wrap items-end gap-3 max-sm:flex-col max-sm:items-stretch">
        <div className="min-w-48">
          <SelectField
            label="Outcome"
            value={values.outcome}
            placeholder="Any outcome"
            options={OUTCOME_CODES.map((code) => ({ value: code, label: code }))}
            onChange={(e) => onChange({ outcome: e.target.value })}
          />
        </div>
        <div className="min-w-40">
          <TextField label="From" type="date" value={values.from} onChange={(e) => onChange({ from: e.target.value })} />
        </div>
        <div className="min-w-40">
          <TextField label="To" type="date" value={values.to} onChange={(e) => onChange({ to: e.target.value })} />
        </div>
        <Button type="submit" variant="secondary">
          Apply
        </Button>
        {filtered && (
          <Button
            variant="secondary"
            onClick={() => onChange({ customer: "", platform: "", actor: "", action: "", resource: "", outcome: "", from: "", to: "" })}
          >
            Clear filters
          </Button>
        )}
      </div>
    </form>
  );
}
