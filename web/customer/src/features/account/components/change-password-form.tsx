//! Change password: the current one and a new one; server violations (the password
//! policy, a wrong current password) beside the field they concern.
import { type FormEvent, useState } from "react";
import { type CanopyClient, CanopyError, Code } from "@canopy/sdk";
import { Alert, Button, TextField, useFormAction } from "@canopy/ui";

export interface ChangePasswordFormProps {
  client: Pick<CanopyClient, "auth">;
}

type Field = "currentPassword" | "newPassword";
const FIELD_OF: Record<string, Field> = { current_password: "currentPassword", new_password: "newPassword" };

export function ChangePasswordForm({ client }: ChangePasswordFormProps) {
  const [currentPassword, setCurrentPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [done, setDone] = useState(false);
  const { busy, errors, formError, run } = useFormAction(FIELD_OF);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    void run(
      async () => {
        await client.auth.changePassword({ currentPassword, newPassword });
        setCurrentPassword("");
        setNewPassword("");
        setDone(true);
      },
      // A wrong current password is refused PERMISSION_DENIED: show it beside that field.
      (e) => (e instanceof CanopyError && e.code === Code.PermissionDenied ? { currentPassword: "The current password is incorrect." } : undefined),
    );
  };

  return (
    <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Change password" noValidate>
      {done && <Alert tone="success">Your password was changed.</Alert>}
      {formError && <Alert tone="danger">{formError}</Alert>}
      <TextField
        label="Current password"
        type="password"
        autoComplete="current-password"
        required
        value={currentPassword}
        error={errors.currentPassword}
        onChange={(e) => setCurrentPassword(e.target.value)}
      />
      <TextField
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        hint="At least 12 characters; a passphrase of unrelated words works well."
        value={newPassword}
        error={errors.newPassword}
        onChange={(e) => setNewPassword(e.target.value)}
      />
      <div>
        <Button type="submit" busy={busy}>
          Change password
        </Button>
      </div>
    </form>
  );
}
