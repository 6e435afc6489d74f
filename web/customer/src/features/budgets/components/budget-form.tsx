//! A budget as an owner writes it: a name, optionally one site (else every site), a
//! monthly amount and its currency, and thresholds — a percentage (1 to 1000) of
//! the actual cost or of the month's forecast; left empty, the service's defaults
//! (50, 80 and 100 % of the actual cost, 100 % of the forecast) apply and are shown
//! as such. The server's violations land beside the fields they name (a
//! threshold's beside its row); a save refused because someone else changed the
//! budget says so and offers the latest version.
import { type FormEvent, useId, useState } from "react";
import { Code, cost, toCanopyError } from "@canopy/sdk";
import { Alert, BASIS_CHOICES, Button, type BudgetSpecInit, DEFAULT_THRESHOLDS, SelectField, TextField, fromMinorUnits, thresholdText, toMinorUnits, useFormAction } from "@canopy/ui";

const MAX_THRESHOLDS = 10;

type Field = "name" | "siteId" | "amount" | "currency" | "thresholds" | `threshold${number}`;

const FIELD_OF: Record<string, Field> = {
  "spec.name": "name",
  "spec.site_id": "siteId",
  "spec.amount": "amount",
  "spec.amount.minor_units": "amount",
  "spec.amount.currency_code": "currency",
  "spec.thresholds": "thresholds",
  ...Object.fromEntries(Array.from({ length: MAX_THRESHOLDS }, (_, i) => [`spec.thresholds[${i}]`, `threshold${i}` as Field])),
  spec: "name",
};

/** Whether `error` is UpdateBudget refusing a stale `revision` (FAILED_PRECONDITION, or ABORTED where a store says so). */
export function isBudgetConflict(error: unknown): boolean {
  const e = toCanopyError(error);
  return e.code === Code.FailedPrecondition || e.code === Code.Aborted || e.reason === "REVISION_CONFLICT";
}

interface ThresholdDraft {
  percent: string;
  basis: string;
}

export interface BudgetFormProps {
  /** The stored budget to edit; a new one when absent. */
  initial?: cost.Budget;
  /** The customer's sites to choose from. */
  sites: { value: string; label: string }[];
  save: (spec: BudgetSpecInit) => Promise<unknown>;
  onSaved?: () => void;
  onCancel?: () => void;
  /** Offered when a save meets a newer revision. */
  onReload?: () => void;
}

export function BudgetForm({ initial, sites, save, onSaved, onCancel, onReload }: BudgetFormProps) {
  const spec = initial?.spec;
  const [name, setName] = useState(spec?.name ?? "");
  const [siteId, setSiteId] = useState(spec?.siteId ?? "");
  const [currency, setCurrency] = useState(spec?.amount?.currencyCode || "USD");
  const [amount, setAmount] = useState(spec?.amount ? fromMinorUnits(spec.amount.minorUnits, spec.amount.currencyCode) : "");
  const [thresholds, setThresholds] = useState<ThresholdDraft[]>(() => (spec?.thresholds ?? []).map((t) => ({ percent: String(t.percent), basis: String(t.basis) })));
  const [conflict, setConflict] = useState(false);
  const { busy, errors, formError, run, refuse } = useFormAction<Field>(FIELD_OF);
  const thresholdsId = useId();

  const setThreshold = (i: number, patch: Partial<ThresholdDraft>) => setThresholds((prev) => prev.map((t, j) => (j === i ? { ...t, ...patch } : t)));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setConflict(false);
    const code = currency.trim().toUpperCase();
    const minor = toMinorUnits(amount, code);
    const missing: Partial<Record<Field, string>> = {};
    if (!name.trim()) missing.name = "Name the budget.";
    if (!/^[A-Z]{3}$/.test(code)) missing.currency = "A three-letter currency code, e.g. USD.";
    if (minor === undefined || minor <= 0n) missing.amount = "An amount above zero, e.g. 500 or 499.99.";
    thresholds.forEach((t, i) => {
      const p = Number(t.percent);
      if (!Number.isInteger(p) || p < 1 || p > 1000) missing[`threshold${i}`] = "A whole percentage from 1 to 1000.";
    });
    if (Object.keys(missing).length > 0) {
      refuse(missing);
      return;
    }
    void run(async () => {
      try {
        await save({
          name: name.trim(),
          siteId,
          amount: { currencyCode: code, minorUnits: minor! },
          thresholds: thresholds.map((t) => ({ percent: Number(t.percent), basis: Number(t.basis) as cost.ThresholdBasis })),
        });
      } catch (e) {
        if (isBudgetConflict(e)) {
          setConflict(true);
          return;
        }
        throw e;
      }
      onSaved?.();
    });
  };

  return (
    <form className="flex flex-col gap-4" onSubmit={submit} aria-label={initial ? `Edit ${spec?.name ?? "budget"}` : "New budget"} noValidate>
      {conflict && (
        <Alert tone="danger" title="Someone else changed this budget">
          It was saved by someone else after you opened it, so yours was not saved (it would have overwritten theirs). Load the latest version, then make your change again.
          {onReload && (
            <div className="mt-2">
              <Button variant="secondary" onClick={onReload}>
                Load the latest version
              </Button>
            </div>
          )}
        </Alert>
      )}
      {formError && <Alert tone="danger">{formError}</Alert>}
      <div className="grid grid-cols-2 gap-4 max-sm:grid-cols-1">
        <TextField label="Name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} error={errors.name} required />
        <SelectField label="Site" value={siteId} options={sites} placeholder="All sites" hint="One site, or all of them." onChange={(e) => setSiteId(e.target.value)} error={errors.siteId} />
        <TextField label="Amount per month" inputMode="decimal" hint="Per calendar month, e.g. 500 or 499.99." value={amount} onChange={(e) => setAmount(e.target.value)} error={errors.amount} required />
        <TextField label="Currency" maxLength={3} value={currency} onChange={(e) => setCurrency(e.target.value)} error={errors.currency} hint="The platform's reporting currency." />
      </div>
      <fieldset className="flex flex-col gap-3 rounded-brand border border-line p-3" aria-describedby={`${thresholdsId}-note`}>
        <legend className="px-1 font-semibold">Thresholds</legend>
        <p id={`${thresholdsId}-note`} className={`m-0 text-sm ${errors.thresholds ? "text-danger" : "text-muted"}`} role={errors.thresholds ? "alert" : undefined}>
          {errors.thresholds ??
            (thresholds.length === 0
              ? `None set: the defaults apply — ${DEFAULT_THRESHOLDS.map(thresholdText).join(", ")}. Each alerts once a month.`
              : "Each alerts once a month, when the actual cost (or the forecast for the month) reaches it.")}
        </p>
        {thresholds.map((t, i) => (
          <div key={i} className="grid grid-cols-[8rem_1fr_auto] items-start gap-3 max-sm:grid-cols-1" role="group" aria-label={`Threshold ${i + 1}`}>
            <TextField label="Percent" type="number" min={1} max={1000} inputMode="numeric" value={t.percent} onChange={(e) => setThreshold(i, { percent: e.target.value })} error={errors[`threshold${i}`]} />
            <SelectField label="Of" value={t.basis} options={BASIS_CHOICES} onChange={(e) => setThreshold(i, { basis: e.target.value })} />
            <div className="self-end">
              <Button variant="secondary" aria-label={`Remove threshold ${i + 1}`} onClick={() => setThresholds((prev) => prev.filter((_, j) => j !== i))}>
                Remove
              </Button>
            </div>
          </div>
        ))}
        <div className="flex flex-wrap gap-2">
          <Button
            variant="secondary"
            disabled={thresholds.length >= MAX_THRESHOLDS}
            onClick={() => setThresholds((prev) => [...prev, { percent: "", basis: String(cost.ThresholdBasis.ACTUAL) }])}
          >
            Add a threshold
          </Button>
          {thresholds.length === 0 && (
            <Button variant="secondary" onClick={() => setThresholds(DEFAULT_THRESHOLDS.map((t) => ({ percent: String(t.percent), basis: String(t.basis) })))}>
              Start from the defaults
            </Button>
          )}
        </div>
      </fieldset>
      <div className="flex flex-wrap gap-3">
        <Button type="submit" busy={busy}>
          {busy ? "Saving…" : initial ? "Save budget" : "Create budget"}
        </Button>
        {onCancel && (
          <Button variant="secondary" disabled={busy} onClick={onCancel}>
            Cancel
          </Button>
        )}
      </div>
    </form>
  );
}
