//! A new API key: name, role (only those the caller may give) and an optional
//! expiry date. Server field violations are shown beside the field they name.
import { type FormEvent, useState } from "react";
import type { CanopyClient, identity } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { SelectField, TextField } from "../components/text-field";
import { useFormAction } from "../session/use-form-action";
import { useCreateApiKey } from "./api-key-queries";
import { type Role, roleLabel } from "./roles";

export interface CreateApiKeyFormProps {
  client: Pick<CanopyClient, "apiKeys">;
  /** The tenant whose key it is; "" for the caller's own tenant (owners) or a platform key (platform admins). */
  tenantId: string;
  /** The roles offered, strongest first; the weakest is chosen at first. */
  roles: Role[];
  onCreated: (created: identity.CreateApiKeyResponse) => void;
}

type Field = "name" | "role" | "expires";
const FIELD_OF: Record<string, Field> = { name: "name", role: "role", expire_time: "expires" };

/** Midnight at the start of the day after `date` ("YYYY-MM-DD") in the reader's time zone: the key works all of that day. */
function endOfDay(date: string): Date {
  const [year, month, day] = date.split("-").map(Number);
  return new Date(year!, month! - 1, day! + 1);
}

export function CreateApiKeyForm({ client, tenantId, roles, onCreated }: CreateApiKeyFormProps) {
  const [name, setName] = useState("");
  const [role, setRole] = useState(String(roles.at(-1) ?? ""));
  const [expires, setExpires] = useState("");
  const { busy, errors, formError, run } = useFormAction(FIELD_OF);
  const createApiKey = useCreateApiKey(client);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const expireTime = expires ? { seconds: BigInt(Math.floor(endOfDay(expires).getTime() / 1000)) } : undefined;
      const created = await createApiKey.mutateAsync({ tenantId, name: name.trim(), role: Number(role) as Role, expireTime });
      setName("");
      setExpires("");
      onCreated(created);
    });
  };

  return (
    <form className="flex flex-col gap-4" onSubmit={submit} aria-label="Create API key" noValidate>
      {formError && <Alert tone="danger">{formError}</Alert>}
      <div className="grid grid-cols-3 gap-4 max-sm:grid-cols-1">
        <TextField label="Key name" hint="What uses it, e.g. “CI deploys”." value={name} onChange={(e) => setName(e.target.value)} error={errors.name} required />
        <SelectField
          label="Role"
          hint="What the key may do; never more than you may."
          options={roles.map((r) => ({ value: String(r), label: roleLabel(r) }))}
          value={role}
          onChange={(e) => setRole(e.target.value)}
          error={errors.role}
        />
        <TextField label="Expires on" type="date" hint="Leave empty for a key that does not expire." value={expires} onChange={(e) => setExpires(e.target.value)} error={errors.expires} />
      </div>
      <div>
        <Button type="submit" busy={busy}>
          {busy ? "Creating API key…" : "Create API key"}
        </Button>
      </div>
    </form>
  );
}
