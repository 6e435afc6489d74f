//! A customer's details — plan, quota overrides, ids — and, for platform admins,
//! the form that edits them.
import { useState } from "react";
import { type CanopyClient, tenancy } from "@canopy/sdk";
import { Alert, Button, DescriptionList, PROVIDERS, formatDateTime } from "@canopy/ui";
import { planLabel, usePlans } from "../api/plans";
import { CustomerEditForm } from "./customer-edit-form";

export interface CustomerDetailsProps {
  client: Pick<CanopyClient, "customers" | "plans">;
  customer: tenancy.Customer;
  /** Saved (the customer is in the cache already, its lists are fetched again). */
  onSaved?: (customer: tenancy.Customer) => void;
  canChange: boolean;
}

const TIERS: Record<number, string> = { [tenancy.RateTier.STANDARD]: "Standard", [tenancy.RateTier.PREMIUM]: "Premium" };

/** The overrides that are set, in words; empty when the plan applies unchanged. */
export function overridesInWords(o: tenancy.Limits | undefined): [string, string][] {
  if (!o) return [];
  const rows: [string, string][] = [];
  if (o.maxSites > 0) rows.push(["Max sites", String(o.maxSites)]);
  if (o.maxDeploymentsPerMonth > 0) rows.push(["Max deployments per month", String(o.maxDeploymentsPerMonth)]);
  if (o.allowedProviders.length > 0)
    rows.push(["Allowed providers", o.allowedProviders.map((p) => PROVIDERS.find((x) => x.value === String(p))?.label ?? String(p)).join(", ")]);
  if (o.allowedRegions.length > 0) rows.push(["Allowed regions", o.allowedRegions.join(", ")]);
  if (o.rateTier) rows.push(["Rate tier", TIERS[o.rateTier] ?? String(o.rateTier)]);
  return rows;
}

export function CustomerDetails({ client, customer, onSaved, canChange }: CustomerDetailsProps) {
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const plans = usePlans(client);
  const plan = plans.data?.find((p) => p.planId === customer.planId);
  if (editing) {
    return (
      <CustomerEditForm
        client={client}
        customer={customer}
        onSaved={(c) => {
          setEditing(false);
          setSaved(true);
          onSaved?.(c);
        }}
        onCancel={() => setEditing(false)}
      />
    );
  }
  const overrides = overridesInWords(customer.quotaOverrides);
  return (
    <div className="flex flex-col gap-4">
      {saved && <Alert tone="success">Customer saved.</Alert>}
      <DescriptionList>
        <dt>Plan</dt>
        <dd>{plan ? planLabel(plan) : customer.planId || "—"}</dd>
        <dt>Quota overrides</dt>
        <dd>{overrides.length === 0 ? "None: the plan's limits apply." : overrides.map(([k, v]) => `${k}: ${v}`).join("; ")}</dd>
        <dt>Id</dt>
        <dd>{customer.id}</dd>
        <dt>Created</dt>
        <dd>{formatDateTime(customer.createTime)}</dd>
        <dt>Changed</dt>
        <dd>{formatDateTime(customer.updateTime)}</dd>
      </DescriptionList>
      {canChange && (
        <div>
          <Button
            variant="secondary"
            onClick={() => {
              setSaved(false);
              setEditing(true);
            }}
          >
            Edit customer
          </Button>
        </div>
      )}
    </div>
  );
}
