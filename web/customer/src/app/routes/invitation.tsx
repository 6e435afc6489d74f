//! `/invitation#token=…`: the link in the invitation mail. The token is in the
//! fragment so it never reaches a server log; it is read here and sent once with
//! SetPasswordWithToken.
import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { Alert, Button, Card, CenteredPage, TextField, errorMessage } from "@canopy/ui";
import { CanopyError } from "@canopy/sdk";
import { useBranding } from "../../features/branding/branding-provider";
import { useCanopy } from "@canopy/ui";

export function InvitationRoute() {
  const { client } = useCanopy();
  const branding = useBranding();
  const [token] = useState(() => new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [errors, setErrors] = useState<{ password?: string; confirm?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) {
      setErrors({ confirm: "The passwords do not match." });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      await client.auth.setPasswordWithToken({ token, newPassword: password });
      // Forget the token: it has been used.
      window.history.replaceState(null, "", window.location.pathname);
      setDone(true);
    } catch (e) {
      const violation = e instanceof CanopyError ? e.violation("new_password") : undefined;
      setErrors(violation ? { password: violation[0]!.toUpperCase() + violation.slice(1) } : { form: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <CenteredPage>
      <h1>Welcome to {branding.productName}</h1>
      <Card>
        {done ? (
          <div className="flex flex-col gap-4">
            <Alert tone="success">Your password is set.</Alert>
            <Link to="/sign-in">Continue to sign in</Link>
          </div>
        ) : !token ? (
          <Alert tone="danger">This invitation link is incomplete. Open the link from your invitation email again.</Alert>
        ) : (
          <form className="flex flex-col gap-4" onSubmit={submit} aria-label="Set your password">
            <p>Choose a password to finish setting up your account.</p>
            {errors.form && <Alert tone="danger">{errors.form}</Alert>}
            <TextField label="New password" type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={errors.password} />
            <TextField label="Repeat the password" type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} error={errors.confirm} />
            <Button type="submit" busy={busy}>
              Set password
            </Button>
          </form>
        )}
      </Card>
    </CenteredPage>
  );
}
