//! Create a customer with its owner and plan; tenancy invites the owner by email.
import { type FormEvent, useState } from "react";
import type { CanopyClient, tenancy } from "@canopy/sdk";
import { Alert, Button, newIdempotencyKey, SelectField, TextField, useFormAction } from "@canopy/ui";
import { useCreateCustomer } from "../api/customers";
import { planLabel, usePlans } from "../api/plans";

export interface CreateCustomerFormProps {
  client: Pick<CanopyClient, "customers" | "plans">;
  onCreated: (customer: tenancy.Customer) => void;
}

type Field = "name" | "ownerEmail" | "ownerDisplayName" | "planId";
const FIELD_OF: Record<string, Field> = { name: "name", owner_email: "ownerEmail", owner_display_name: "ownerDisplayName", plan_id: "planId" };

export function CreateCustomerForm({ client, onCreated }: CreateCustomerFormProps) {
  const [values, setValues] = useState<Record<Field, string>>({ name: "", ownerEmail: "", ownerDisplayName: "", planId: "" });
  const plans = usePlans(client);
  const createCustomer = useCreateCustomer(client);
  const { busy, errors, formError, run } = useFormAction(FIELD_OF);
  // One key per form: submitting again after a network error does not create a second customer.
  const [idempotencyKey] = useState(() => newIdempotencyKey());

  const set = (field: Field) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [field]: e.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const res = await createCustomer.mutateAsync({
        idempotencyKey,
        name: values.name.trim(),
        ownerEmail: values.ownerEmail.trim(),
        ownerDisplayName: values.ownerDisplayName.trim(),
        planId: values.planId,
      });
      onCreated(res.customer!);
    });
  };
  return (
    <form className="flex flex-col gap-4" onSubmit={submit} aria-label="Create customer" noValidate>
      {formError && <Alert tone="danger">{formError}</Alert>}
      <TextField label="Customer name" value={values.name} onChange={set("name")} error={errors.name} required />
      <TextField label="Owner email" type="email" value={values.ownerEmail} onChange={set("ownerEmail")} error={errors.ownerEmail} required />
      <TextField label="Owner name" value={values.ownerDisplayName} onChange={set("ownerDisplayName")} error={errors.ownerDisplayName} required />
      <SelectField
        label="Plan"
        value={values.planId}
        placeholder="The default plan (standard)"
        options={(plans.data ?? []).map((p) => ({ value: p.planId, label: planLabel(p) }))}
        hint={plans.isPending ? "Loading plans…" : plans.isError ? "The plans could not be loaded: the default plan applies." : undefined}
        error={errors.planId}
        onChange={set("planId")}
      />
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" busy={busy}>
          {busy ? "Creating customer…" : "Create customer"}
        </Button>
      </div>
    </form>
  );
}
