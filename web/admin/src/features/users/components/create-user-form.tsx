//! Inviting a platform user (CreateUser without a tenant, a platform role): the
//! answer carries the single-use invitation token, shown once as a link.
import { type FormEvent, useState } from "react";
import type { CanopyClient, identity } from "@canopy/sdk";
import { Alert, Button, ROLE, type Role, SelectField, TextField, roleLabel, useFormAction } from "@canopy/ui";
import { PLATFORM_ROLES } from "../../../lib/roles";
import { useCreateUser } from "../api/users";
import { OneTimeToken } from "./one-time-token";

export interface CreateUserFormProps {
  client: Pick<CanopyClient, "users">;
  onCreated?: (user: identity.User) => void;
}

type Field = "email" | "displayName" | "role";
const FIELD_OF: Record<string, Field> = { email: "email", display_name: "displayName", role: "role" };

export function CreateUserForm({ client, onCreated }: CreateUserFormProps) {
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [role, setRole] = useState<Role>(ROLE.platformOperator);
  const { busy, errors, formError, run } = useFormAction(FIELD_OF);
  const [created, setCreated] = useState<identity.CreateUserResponse>();
  const createUser = useCreateUser(client);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const res = await createUser.mutateAsync({ tenantId: "", email: email.trim(), displayName: displayName.trim(), role });
      setCreated(res);
      if (res.user) onCreated?.(res.user);
    });
  };

  if (created) {
    return (
      <div className="flex flex-col gap-4">
        <Alert tone="success">
          {created.user?.email} was invited as {roleLabel(created.user?.role ?? role)}. Identity sends no mail for platform users: give them the link below.
        </Alert>
        <OneTimeToken title="Invitation" token={created.invitationToken} expireTime={created.invitationExpireTime} platformUser />
        <div>
          <Button
            variant="secondary"
            onClick={() => {
              setCreated(undefined);
              setEmail("");
              setDisplayName("");
            }}
          >
            Invite another
          </Button>
        </div>
      </div>
    );
  }
  return (
    <form className="flex flex-col gap-4" aria-label="Invite a platform user" onSubmit={submit} noValidate>
      {formError && <Alert tone="danger">{formError}</Alert>}
      <TextField label="Email" type="email" autoComplete="off" required value={email} error={errors.email} onChange={(e) => setEmail(e.target.value)} />
      <TextField label="Name" required value={displayName} error={errors.displayName} onChange={(e) => setDisplayName(e.target.value)} />
      <SelectField
        label="Role"
        value={String(role)}
        options={PLATFORM_ROLES.map((r) => ({ value: String(r), label: roleLabel(r) }))}
        error={errors.role}
        hint="Operators see everything and change nothing; admins change customers, users, keys and sites."
        onChange={(e) => setRole(Number(e.target.value) as Role)}
      />
      <div>
        <Button type="submit" busy={busy}>
          {busy ? "Inviting…" : "Invite user"}
        </Button>
      </div>
    </form>
  );
}
