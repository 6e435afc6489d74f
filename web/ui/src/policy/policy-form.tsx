//! A policy as its author writes it: name, description, enforcement level (no
//! hard-mandatory for customers), enabled, scope (a site, labels; for platform
//! policies a customer) and the definition — one of the built-in forms (resource
//! limits, security, cost) or a Rego module, which "Validate" compiles
//! (ValidatePolicy; errors with their line and column beside the editor) and, with
//! a plan pasted, evaluates (its deny and warn messages). Server field violations
//! (`policy.resource_limits.allowed_regions[2]`) land beside the fields they name;
//! a save refused because someone else changed the policy says so and offers the
//! latest version.
import { type FormEvent, useId, useState } from "react";
import { Code, type common, type policy, toCanopyError } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { SelectField, TextAreaField, TextField } from "../components/text-field";
import { useFormAction } from "../session/use-form-action";
import { PROVIDERS } from "../sites/site-status";
import type { PolicySpecInit, ValidatePolicyRequest } from "./policy-queries";
import { enforcementOptions, fromMinorUnits, labelsText, parseLabels, toMinorUnits } from "./policy-words";

type Field =
  | "name"
  | "description"
  | "enforcement"
  | "customerId"
  | "siteId"
  | "labels"
  | "definition"
  | "providers"
  | "regions"
  | "maxSize"
  | "maxInstanceCount"
  | "ports"
  | "tags"
  | "siteMonthly"
  | "customerMonthly"
  | "rego";

const FIELD_OF: Record<string, Field> = {
  "policy.name": "name",
  "policy.description": "description",
  "policy.enforcement": "enforcement",
  "policy.scope.customer_id": "customerId",
  "policy.scope.site_id": "siteId",
  "policy.scope.labels": "labels",
  "policy.scope": "siteId",
  "policy.definition": "definition",
  "policy.resource_limits.allowed_providers": "providers",
  "policy.resource_limits.allowed_regions": "regions",
  "policy.resource_limits.max_size": "maxSize",
  "policy.resource_limits.max_instance_count": "maxInstanceCount",
  "policy.resource_limits": "definition",
  "policy.security.allowed_ingress_ports": "ports",
  "policy.security.required_tags": "tags",
  "policy.security": "definition",
  "policy.cost.max_site_monthly": "siteMonthly",
  "policy.cost.max_customer_monthly": "customerMonthly",
  "policy.cost": "definition",
  "policy.rego": "rego",
};

type ValidateField = "rego" | "planJson";
const VALIDATE_FIELD_OF: Record<string, ValidateField> = { "policy.rego": "rego", "policy.definition": "rego", plan_json: "planJson" };

type Definition = "resourceLimits" | "security" | "cost" | "rego";
const DEFINITIONS: { value: Definition; label: string }[] = [
  { value: "resourceLimits", label: "Resource limits (built-in form)" },
  { value: "security", label: "Security (built-in form)" },
  { value: "cost", label: "Cost (built-in form)" },
  { value: "rego", label: "Rego module" },
];

const SIZE_CHOICES = [
  { value: "small", label: "Small" },
  { value: "medium", label: "Medium" },
  { value: "large", label: "Large" },
];

const STARTER_REGO = `package canopy

import rego.v1

deny contains msg if {
  some rc in input.plan.resource_changes
  rc.type == "aws_s3_bucket"
  not rc.change.after.tags.owner
  msg := sprintf("%s has no owner tag", [rc.address])
}
`;

/** Whether `error` is UpdatePolicy refusing a stale `revision`. */
export function isRevisionConflict(error: unknown): boolean {
  const e = toCanopyError(error);
  return e.reason === "REVISION_CONFLICT" || e.code === Code.Aborted;
}

const splitList = (text: string) => text.split(/[\s,]+/).filter(Boolean);

interface Draft {
  name: string;
  description: string;
  enforcement: string;
  enabled: boolean;
  customerId: string;
  siteId: string;
  labels: string;
  definition: Definition;
  providers: number[];
  regions: string;
  maxSize: string;
  maxInstanceCount: string;
  denyDatabase: boolean;
  requireEncryptedStorage: boolean;
  denyPublicDatabase: boolean;
  requireTlsListeners: boolean;
  ports: string;
  tags: string;
  siteAmount: string;
  siteCurrency: string;
  customerAmount: string;
  customerCurrency: string;
  rego: string;
}

function draftOf(initial: policy.Policy | undefined, customer: boolean): Draft {
  const spec = initial?.spec;
  const def = spec?.definition;
  const rl = def?.case === "resourceLimits" ? def.value : undefined;
  const sec = def?.case === "security" ? def.value : undefined;
  const cost = def?.case === "cost" ? def.value : undefined;
  const enforcement = spec?.enforcement && !(customer && spec.enforcement === 3) ? String(spec.enforcement) : "1";
  return {
    name: spec?.name ?? "",
    description: spec?.description ?? "",
    enforcement,
    enabled: spec?.enabled ?? true,
    customerId: spec?.scope?.customerId ?? "",
    siteId: spec?.scope?.siteId ?? "",
    labels: labelsText(spec?.scope?.labels ?? {}),
    definition: def?.case ?? "resourceLimits",
    providers: rl?.allowedProviders.map(Number) ?? [],
    regions: rl?.allowedRegions.join(", ") ?? "",
    maxSize: rl?.maxSize ?? "",
    maxInstanceCount: rl && rl.maxInstanceCount > 0 ? String(rl.maxInstanceCount) : "",
    denyDatabase: rl?.denyDatabase ?? false,
    requireEncryptedStorage: sec?.requireEncryptedStorage ?? false,
    denyPublicDatabase: sec?.denyPublicDatabase ?? false,
    requireTlsListeners: sec?.requireTlsListeners ?? false,
    ports: sec?.allowedIngressPorts.join(", ") ?? "",
    tags: sec?.requiredTags.join(", ") ?? "",
    siteAmount: cost?.maxSiteMonthly ? fromMinorUnits(cost.maxSiteMonthly.minorUnits, cost.maxSiteMonthly.currencyCode) : "",
    siteCurrency: cost?.maxSiteMonthly?.currencyCode ?? "USD",
    customerAmount: cost?.maxCustomerMonthly ? fromMinorUnits(cost.maxCustomerMonthly.minorUnits, cost.maxCustomerMonthly.currencyCode) : "",
    customerCurrency: cost?.maxCustomerMonthly?.currencyCode ?? "USD",
    rego: def?.case === "rego" ? def.value : STARTER_REGO,
  };
}

type Built = { spec: PolicySpecInit; missing: Partial<Record<Field, string>> };

type MoneyInit = { currencyCode: string; minorUnits: bigint };

function money(amount: string, currency: string, field: Field, missing: Partial<Record<Field, string>>): MoneyInit | undefined {
  if (!amount.trim()) return undefined;
  const code = currency.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code)) {
    missing[field] = "Enter a three-letter currency code, e.g. USD.";
    return undefined;
  }
  const minorUnits = toMinorUnits(amount, code);
  if (minorUnits === undefined) {
    missing[field] = "Enter an amount such as 1250 or 1250.50.";
    return undefined;
  }
  return { currencyCode: code, minorUnits };
}

function build(d: Draft, customer: boolean): Built {
  const missing: Partial<Record<Field, string>> = {};
  if (!d.name.trim()) missing.name = "Enter a name (1 to 100 characters).";
  const labels = parseLabels(d.labels);
  if (!labels) missing.labels = "Write labels as key=value, separated by commas.";
  let definition: PolicySpecInit["definition"];
  switch (d.definition) {
    case "resourceLimits": {
      const count = d.maxInstanceCount.trim();
      if (count && !/^\d+$/.test(count)) missing.maxInstanceCount = "Enter a whole number, or leave it empty for no limit.";
      definition = {
        case: "resourceLimits",
        value: {
          allowedProviders: d.providers as common.CloudProvider[],
          allowedRegions: splitList(d.regions),
          maxSize: d.maxSize,
          maxInstanceCount: count && /^\d+$/.test(count) ? Number(count) : 0,
          denyDatabase: d.denyDatabase,
        },
      };
      break;
    }
    case "security": {
      const ports = splitList(d.ports);
      if (ports.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535)) missing.ports = "Enter port numbers from 1 to 65535, separated by commas.";
      definition = {
        case: "security",
        value: {
          requireEncryptedStorage: d.requireEncryptedStorage,
          denyPublicDatabase: d.denyPublicDatabase,
          requireTlsListeners: d.requireTlsListeners,
          allowedIngressPorts: ports.map(Number),
          requiredTags: splitList(d.tags),
        },
      };
      break;
    }
    case "cost":
      definition = {
        case: "cost",
        value: {
          maxSiteMonthly: money(d.siteAmount, d.siteCurrency, "siteMonthly", missing),
          maxCustomerMonthly: money(d.customerAmount, d.customerCurrency, "customerMonthly", missing),
        },
      };
      break;
    case "rego":
      if (!d.rego.trim()) missing.rego = "Write a Rego module with deny or warn rules.";
      definition = { case: "rego", value: d.rego };
      break;
  }
  return {
    spec: {
      name: d.name.trim(),
      description: d.description.trim(),
      enforcement: Number(d.enforcement) as policy.EnforcementLevel,
      enabled: d.enabled,
      scope: { customerId: customer ? "" : d.customerId.trim(), siteId: d.siteId.trim(), labels: labels ?? {} },
      definition,
    },
    missing,
  };
}

export interface PolicyFormProps {
  /** The stored policy to edit; a new one when absent. */
  initial?: policy.Policy;
  /** A customer's own policy: advisory or soft-mandatory only, no customer scope. */
  customer?: boolean;
  /** CreatePolicy or UpdatePolicy with the spec. */
  save: (spec: PolicySpecInit) => Promise<unknown>;
  /** ValidatePolicy: compiles and, given a plan, evaluates the definition. */
  validate: (request: ValidatePolicyRequest) => Promise<policy.ValidatePolicyResponse>;
  onSaved?: () => void;
  /** Offered when a save meets a newer revision: fetch the policy again. */
  onReload?: () => void;
  submitLabel: string;
  busyLabel: string;
}

export function PolicyForm({ initial, customer = false, save, validate, onSaved, onReload, submitLabel, busyLabel }: PolicyFormProps) {
  const [d, setD] = useState<Draft>(() => draftOf(initial, customer));
  const set = (patch: Partial<Draft>) => setD((prev) => ({ ...prev, ...patch }));
  const { busy, errors, formError, run, refuse } = useFormAction(FIELD_OF);
  const [conflict, setConflict] = useState(false);
  const checking = useFormAction(VALIDATE_FIELD_OF);
  const [planJson, setPlanJson] = useState("");
  const [result, setResult] = useState<policy.ValidatePolicyResponse>();
  const providersId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setConflict(false);
    const { spec, missing } = build(d, customer);
    if (Object.keys(missing).length > 0) {
      refuse(missing);
      return;
    }
    void run(async () => {
      try {
        await save(spec);
      } catch (e) {
        if (isRevisionConflict(e)) {
          setConflict(true);
          return;
        }
        throw e;
      }
      onSaved?.();
    });
  };

  const check = () => {
    setResult(undefined);
    const { spec, missing } = build({ ...d, name: d.name || "draft" }, customer);
    const own: Partial<Record<ValidateField, string>> = {};
    if (missing.rego) own.rego = missing.rego;
    if (planJson.trim()) {
      try {
        JSON.parse(planJson);
      } catch {
        own.planJson = "This is not JSON: paste the output of terraform show -json.";
      }
    }
    if (Object.keys(own).length > 0) {
      checking.refuse(own);
      return;
    }
    void checking.run(async () => {
      setResult(await validate({ customerId: "", policy: spec, plan: planJson.trim() ? { case: "planJson", value: planJson } : { case: undefined } }));
    });
  };

  const compileErrors = result?.compileErrors ?? [];
  const compileText = compileErrors.map((e) => `Line ${e.line}, column ${e.column}: ${e.message}`);
  const regoError = checking.errors.rego ?? errors.rego ?? (compileText.length > 0 ? compileText.join("; ") : undefined);
  const checkbox = "size-4 accent-primary";

  return (
    <form className="flex flex-col gap-4" onSubmit={submit} aria-label={initial ? `Edit ${initial.spec?.name ?? "policy"}` : "New policy"} noValidate>
      {conflict && (
        <Alert tone="danger" title="Someone else changed this policy">
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
      <fieldset className="flex flex-col gap-4 rounded-brand border border-line p-3">
        <legend className="px-1 font-semibold">About</legend>
        <div className="grid grid-cols-2 gap-4 max-sm:grid-cols-1">
          <TextField label="Name" value={d.name} maxLength={100} onChange={(e) => set({ name: e.target.value })} error={errors.name} required />
          <SelectField
            label="Enforcement"
            value={d.enforcement}
            options={enforcementOptions(customer)}
            hint={customer ? "Advisory: a warning. Soft-mandatory: the deployment waits for an owner's override." : "Hard-mandatory denials fail the deployment; soft-mandatory ones wait for an override."}
            onChange={(e) => set({ enforcement: e.target.value })}
            error={errors.enforcement}
          />
        </div>
        <TextAreaField label="Description" rows={2} maxLength={1000} value={d.description} onChange={(e) => set({ description: e.target.value })} error={errors.description} />
        <label className="flex min-h-control items-center gap-2">
          <input type="checkbox" className={checkbox} checked={d.enabled} onChange={(e) => set({ enabled: e.target.checked })} />
          Enabled (checked on every deployment)
        </label>
      </fieldset>

      <fieldset className="flex flex-col gap-4 rounded-brand border border-line p-3">
        <legend className="px-1 font-semibold">Scope</legend>
        <p className="m-0 text-sm text-muted">Empty fields match every site; filled ones must all match.</p>
        <div className="grid grid-cols-2 gap-4 max-sm:grid-cols-1">
          {!customer && <TextField label="Only customer (id)" value={d.customerId} onChange={(e) => set({ customerId: e.target.value })} error={errors.customerId} />}
          <TextField label="Only site (id)" value={d.siteId} onChange={(e) => set({ siteId: e.target.value })} error={errors.siteId} />
          <TextField label="Only sites with labels" hint="key=value, separated by commas, e.g. env=prod, team=web." value={d.labels} onChange={(e) => set({ labels: e.target.value })} error={errors.labels} />
        </div>
      </fieldset>

      <fieldset className="flex flex-col gap-4 rounded-brand border border-line p-3">
        <legend className="px-1 font-semibold">Definition</legend>
        <SelectField label="Definition" value={d.definition} options={DEFINITIONS} onChange={(e) => set({ definition: e.target.value as Definition })} error={errors.definition} />

        {d.definition === "resourceLimits" && (
          <div className="flex flex-col gap-4" role="group" aria-label="Resource limits">
            <fieldset className="flex flex-col gap-1" aria-describedby={errors.providers ? `${providersId}-error` : `${providersId}-hint`}>
              <legend className="text-[0.95rem] font-semibold">Allowed providers</legend>
              <div className="flex flex-wrap gap-x-4">
                {PROVIDERS.map((p, i) => (
                  <label key={p.value} className="flex min-h-control items-center gap-2">
                    <input
                      type="checkbox"
                      className={checkbox}
                      aria-invalid={errors.providers && i === 0 ? true : undefined}
                      checked={d.providers.includes(Number(p.value))}
                      onChange={(e) => set({ providers: e.target.checked ? [...d.providers, Number(p.value)] : d.providers.filter((v) => v !== Number(p.value)) })}
                    />
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
                  None checked allows every provider.
                </p>
              )}
            </fieldset>
            <div className="grid grid-cols-2 gap-4 max-sm:grid-cols-1">
              <TextField label="Allowed regions" hint="Region codes separated by commas, e.g. eu-west-1, ams3; empty allows all." value={d.regions} onChange={(e) => set({ regions: e.target.value })} error={errors.regions} />
              <SelectField label="Largest size" value={d.maxSize} options={SIZE_CHOICES} placeholder="Any size" onChange={(e) => set({ maxSize: e.target.value })} error={errors.maxSize} />
              <TextField
                label="Most instances"
                type="number"
                min={0}
                inputMode="numeric"
                hint="How many container instances a site may scale to; empty for no limit."
                value={d.maxInstanceCount}
                onChange={(e) => set({ maxInstanceCount: e.target.value })}
                error={errors.maxInstanceCount}
              />
              <label className="flex min-h-control items-center gap-2 self-end">
                <input type="checkbox" className={checkbox} checked={d.denyDatabase} onChange={(e) => set({ denyDatabase: e.target.checked })} />
                Deny managed databases
              </label>
            </div>
          </div>
        )}

        {d.definition === "security" && (
          <div className="flex flex-col gap-4" role="group" aria-label="Security">
            <label className="flex min-h-control items-center gap-2">
              <input type="checkbox" className={checkbox} checked={d.requireEncryptedStorage} onChange={(e) => set({ requireEncryptedStorage: e.target.checked })} />
              Require encrypted storage and databases
            </label>
            <label className="flex min-h-control items-center gap-2">
              <input type="checkbox" className={checkbox} checked={d.denyPublicDatabase} onChange={(e) => set({ denyPublicDatabase: e.target.checked })} />
              Deny databases reachable from the internet
            </label>
            <label className="flex min-h-control items-center gap-2">
              <input type="checkbox" className={checkbox} checked={d.requireTlsListeners} onChange={(e) => set({ requireTlsListeners: e.target.checked })} />
              Require HTTPS/TLS load balancer listeners
            </label>
            <div className="grid grid-cols-2 gap-4 max-sm:grid-cols-1">
              <TextField label="Allowed ingress ports" hint="Ports firewall rules may open to the internet, e.g. 443, 80; empty allows any." value={d.ports} onChange={(e) => set({ ports: e.target.value })} error={errors.ports} />
              <TextField label="Required tags" hint="Tag keys every taggable resource must carry, separated by commas." value={d.tags} onChange={(e) => set({ tags: e.target.value })} error={errors.tags} />
            </div>
          </div>
        )}

        {d.definition === "cost" && (
          <div className="flex flex-col gap-4" role="group" aria-label="Cost">
            <p className="m-0 text-sm text-muted">Read from each deployment&apos;s cost estimate; an empty amount means no limit.</p>
            <div className="grid grid-cols-[2fr_1fr] gap-4 max-sm:grid-cols-1">
              <TextField label="Most per site per month" inputMode="decimal" hint="An amount, e.g. 250 or 249.99." value={d.siteAmount} onChange={(e) => set({ siteAmount: e.target.value })} error={errors.siteMonthly} />
              <TextField label="Site limit currency" maxLength={3} value={d.siteCurrency} onChange={(e) => set({ siteCurrency: e.target.value })} />
              <TextField label="Most for all sites per month" inputMode="decimal" hint="Across all of a customer's sites." value={d.customerAmount} onChange={(e) => set({ customerAmount: e.target.value })} error={errors.customerMonthly} />
              <TextField label="Total limit currency" maxLength={3} value={d.customerCurrency} onChange={(e) => set({ customerCurrency: e.target.value })} />
            </div>
          </div>
        )}

        {d.definition === "rego" && (
          <TextAreaField
            label="Rego"
            code
            rows={14}
            spellCheck={false}
            hint="A module with deny and/or warn rules producing messages; input.plan is the Terraform JSON plan."
            value={d.rego}
            onChange={(e) => {
              set({ rego: e.target.value });
              setResult(undefined);
            }}
            error={regoError}
          />
        )}
        {compileErrors.length > 0 && (
          <ul className="m-0 pl-5 font-mono text-sm text-danger" aria-label="Compile errors">
            {compileText.map((text, i) => (
              <li key={i}>{text}</li>
            ))}
          </ul>
        )}

        <details className="rounded-brand border border-line p-3">
          <summary className="cursor-pointer font-semibold">Try it on a plan</summary>
          <div className="mt-3 flex flex-col gap-3">
            <TextAreaField
              label="Plan JSON (optional)"
              code
              rows={5}
              hint="The output of terraform show -json; without one, Validate only compiles."
              value={planJson}
              onChange={(e) => setPlanJson(e.target.value)}
              error={checking.errors.planJson}
            />
          </div>
        </details>
        {checking.formError && <Alert tone="danger">{checking.formError}</Alert>}
        <div>
          <Button variant="secondary" busy={checking.busy} onClick={check}>
            {checking.busy ? "Validating…" : "Validate"}
          </Button>
        </div>
        {result && <ValidationResult result={result} />}
      </fieldset>

      <div>
        <Button type="submit" busy={busy}>
          {busy ? busyLabel : submitLabel}
        </Button>
      </div>
    </form>
  );
}

function ValidationResult({ result }: { result: policy.ValidatePolicyResponse }) {
  return (
    <div className="flex flex-col gap-2" role="region" aria-label="Validation result">
      {result.compileErrors.length > 0 ? (
        <Alert tone="danger">
          The module does not compile: {result.compileErrors.length} error{result.compileErrors.length === 1 ? "" : "s"}.
        </Alert>
      ) : !result.evaluated ? (
        <Alert tone="success">The policy compiles. Paste a plan to see what it decides.</Alert>
      ) : result.evaluationError ? (
        <Alert tone="danger">The policy compiles, but evaluation stopped: {result.evaluationError}</Alert>
      ) : (
        <Alert tone={result.deny.length > 0 ? "danger" : "success"}>
          {result.deny.length > 0 ? `The plan fails: ${result.deny.length} denial${result.deny.length === 1 ? "" : "s"}.` : "The plan passes."}
          {result.warn.length > 0 && ` ${result.warn.length} warning${result.warn.length === 1 ? "" : "s"}.`}
        </Alert>
      )}
      {result.deny.length > 0 && (
        <ul className="m-0 pl-5 text-danger" aria-label="Denials">
          {result.deny.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}
      {result.warn.length > 0 && (
        <ul className="m-0 pl-5 text-warning" aria-label="Warnings">
          {result.warn.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}
      {result.rego && result.compileErrors.length === 0 && (
        <details>
          <summary className="cursor-pointer">The Rego evaluated</summary>
          <pre className="mt-2 overflow-x-auto rounded-brand border border-line bg-canvas p-3 text-sm" tabIndex={0}>
            {result.rego}
          </pre>
        </details>
      )}
    </div>
  );
}

