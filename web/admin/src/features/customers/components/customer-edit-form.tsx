//! Editing a customer (UpdateCustomer): its name, its plan and per-customer quota
//! overrides (an empty override inherits the plan), or clearing every override;
//! the server's field violations beside the fields they name.
import { type FormEvent, useId, useState } from "react";
import { type CanopyClient, type common, create, tenancy } from "@canopy/sdk";
import { Alert, Button, PROVIDERS, SelectField, TextField, errorMessage, useFormAction } from "@canopy/ui";
import { useUpdateCustomer } from "../api/customers";
import { planLabel, usePlans } from "../api/plans";

export interface CustomerEditFormProps {
  client: Pick<CanopyClient, "customers" | "plans">;
  customer: tenancy.Customer;
  /** Saved: the customer is in the cache already (`useUpdateCustomer`). */
  onSaved: (customer: tenancy.Customer) => void;
  onCancel: () => void;
}

interface Draft {
  name: string;
  planId: string;
  maxSites: string;
  maxDeployments: string;
  providers: number[];
  regions: string;
  rateTier: string;
}
type Field = keyof Draft;

function draftOf(c: tenancy.Customer): Draft {
  const o = c.quotaOverrides;
  return {
    name: c.name,
    planId: c.planId,
    maxSites: o?.maxSites ? String(o.maxSites) : "",
    maxDeployments: o?.maxDeploymentsPerMonth ? String(o.maxDeploymentsPerMonth) : "",
    providers: o ? [...o.allowedProviders] : [],
    regions: o ? o.allowedRegions.join(", ") : "",
    rateTier: o?.rateTier ? String(o.rateTier) : "",
  };
}

const regionsOf = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((r) => r.trim())
    .filter(Boolean);

/** "" → 0 (inherit); a whole number → itself; anything else → undefined. */
function count(text: string): number | undefined {
  const t = text.trim();
  if (!t) return 0;
  return /^-?\d+$/.test(t) ? Number(t) : undefined;
}

/** Server field paths → form fields; list entries are named by index (`allowed_regions[2]`). */
function fieldOf(providers: number, regions: number): Record<string, Field> {
  const map: Record<string, Field> = {
    name: "name",
    plan_id: "planId",
    "quota_overrides.max_sites": "maxSites",
    "quota_overrides.max_deployments_per_month": "maxDeployments",
    "quota_overrides.rate_tier": "rateTier",
    "quota_overrides.allowed_providers": "providers",
    "quota_overrides.allowed_regions": "regions",
  };
  for (let i = 0; i < providers; i++) map[`quota_overrides.allowed_providers[${i}]`] = "providers";
  for (let i = 0; i < regions; i++) map[`quota_overrides.allowed_regions[${i}]`] = "regions";
  return map;
}

function limitsText(limits: tenancy.Limits | undefined): string {
  if (!limits) return "";
  const parts = [
    limits.maxSites > 0 ? `${limits.maxSites} sites` : "any number of sites",
    limits.maxDeploymentsPerMonth > 0 ? `${limits.maxDeploymentsPerMonth} deployments a month` : "unlimited deployments",
    limits.allowedProviders.length > 0 ? PROVIDERS.filter((p) => limits.allowedProviders.includes(Number(p.value))).map((p) => p.label).join(", ") : "every provider",
  ];
  return `The plan allows ${parts.join(", ")}.`;
}

export function CustomerEditForm({ client, customer, onSaved, onCancel }: CustomerEditFormProps) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(customer));
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});
  const [kind, setKind] = useState<"save" | "clear">();
  const plans = usePlans(client);
  const updateCustomer = useUpdateCustomer(client);
  const providersId = useId();
  const set = (field: Field) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [field]: e.target.value }));
  const regions = regionsOf(draft.regions);
  const action = useFormAction(fieldOf(draft.providers.length, regions.length));
  const errors = { ...action.errors, ...local };
  const busy = action.busy ? kind : undefined;

  const planOptions = (plans.data ?? []).map((p) => ({ value: p.planId, label: planLabel(p) }));
  if (draft.planId && !planOptions.some((o) => o.value === draft.planId)) planOptions.unshift({ value: draft.planId, label: draft.planId });
  const plan = plans.data?.find((p) => p.planId === draft.planId);

  const update = (next: "save" | "clear", request: Omit<tenancy.UpdateCustomerRequest, "$typeName" | "customerId">) => {
    setKind(next);
    void action.run(async () => {
      const res = await updateCustomer.mutateAsync({ customerId: customer.id, ...request });
      if (res.customer) {
        setDraft(draftOf(res.customer));
        onSaved(res.customer);
      }
    });
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const maxSites = count(draft.maxSites);
    const maxDeploymentsPerMonth = count(draft.maxDeployments);
    const whole = "Enter a whole number, or leave it empty for the plan's limit.";
    const invalid: Partial<Record<Field, string>> = {};
    if (maxSites === undefined) invalid.maxSites = whole;
    if (maxDeploymentsPerMonth === undefined) invalid.maxDeployments = whole;
    setLocal(invalid);
    if (maxSites === undefined || maxDeploymentsPerMonth === undefined) return;
    update("save", {
      name: draft.name.trim(),
      planId: draft.planId,
      quotaOverrides: create(tenancy.LimitsSchema, {
        maxSites,
        maxDeploymentsPerMonth,
        allowedProviders: draft.providers as common.CloudProvider[],
        allowedRegions: regions,
        rateTier: Number(draft.rateTier || 0) as tenancy.RateTier,
      }),
      clearQuotaOverrides: false,
    });
  };

  const toggleProvider = (provider: number, on: boolean) =>
    setDraft((d) => ({ ...d, providers: on ? [...d.providers, provider].sort() : d.providers.filter((p) => p !== provider) }));

  return (
    <form className="flex flex-col gap-4" aria-label="Edit customer" onSubmit={submit} noValidate>
      {action.formError && <Alert tone="danger">{action.formError}</Alert>}
      {Object.keys(local).length > 0 && <Alert tone="danger">Some fields need attention.</Alert>}
      <TextField label="Name" required value={draft.name} error={errors.name} onChange={set("name")} />
      <SelectField
        label="Plan"
        value={draft.planId}
        options={planOptions}
        error={errors.planId}
        hint={plans.isPending ? "Loading plans…" : plans.isError ? `The plans could not be loaded: ${errorMessage(plans.error)}` : limitsText(plan?.limits)}
        onChange={set("planId")}
      />
      <h3 className="m-0 font-semibold">Quota overrides</h3>
      <p className="m-0 text-sm text-muted">An empty override uses the plan&apos;s value.</p>
      <div className="grid grid-cols-[repeat(auto-fit,minmax(200px,1fr))] gap-4">
        <TextField label="Max sites" inputMode="numeric" value={draft.maxSites} error={errors.maxSites} placeholder={plan?.limits?.maxSites ? `Plan: ${plan.limits.maxSites}` : "Plan's limit"} onChange={set("maxSites")} />
        <TextField
          label="Max deployments per month"
          inputMode="numeric"
          value={draft.maxDeployments}
          error={errors.maxDeployments}
          placeholder={plan?.limits?.maxDeploymentsPerMonth ? `Plan: ${plan.limits.maxDeploymentsPerMonth}` : "Plan's limit"}
          onChange={set("maxDeployments")}
        />
      </div>
      <fieldset className="m-0 flex flex-col gap-2 border-0 p-0" aria-describedby={errors.providers ? `${providersId}-error` : `${providersId}-hint`}>
        <legend className="mb-1 text-[0.95rem] font-semibold">Allowed providers</legend>
        <div className="flex flex-wrap gap-x-5 gap-y-2">
          {PROVIDERS.map((p) => (
            <label key={p.value} className="inline-flex min-h-control items-center gap-2">
              <input type="checkbox" className="size-4 accent-primary" checked={draft.providers.includes(Number(p.value))} onChange={(e) => toggleProvider(Number(p.value), e.target.checked)} />
              {p.label}
            </label>
          ))}
        </div>
        {errors.providers ? (
          <p id={`${providersId}-error`} className="m-0 text-sm text-danger" role="alert">
            {errors.providers}
          </p>
        ) : (
          <p id={`${providersId}-hint`} className="m-0 text-sm text-muted">
            None checked: the plan&apos;s providers.
          </p>
        )}
      </fieldset>
      <TextField label="Allowed regions" value={draft.regions} error={errors.regions} placeholder="eu-west-1, us-east-1" hint="Region codes separated by commas; empty for the plan's regions." spellCheck={false} onChange={set("regions")} />
      <SelectField
        label="Rate tier"
        value={draft.rateTier}
        placeholder="Plan's tier"
        options={[
          { value: String(tenancy.RateTier.STANDARD), label: "Standard" },
          { value: String(tenancy.RateTier.PREMIUM), label: "Premium" },
        ]}
        error={errors.rateTier}
        onChange={set("rateTier")}
      />
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" busy={busy === "save"} disabled={busy === "clear"}>
          {busy === "save" ? "Saving…" : "Save changes"}
        </Button>
        <Button
          variant="secondary"
          busy={busy === "clear"}
          disabled={busy === "save"}
          onClick={() => update("clear", { name: "", planId: "", clearQuotaOverrides: true })}
        >
          Clear overrides
        </Button>
        <Button variant="secondary" onClick={onCancel} disabled={busy !== undefined}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
