//! `/set-password#token=…`: where a platform user's invitation or password-reset
//! link leads (the token is in the fragment, so it never reaches a server log).
import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { Alert, Button, Card, CenteredPage, TextField, useCanopy, useFormAction } from "@canopy/ui";

export function SetPasswordRoute() {
  const { client } = useCanopy();
  const [token] = useState(() => new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const { busy, errors, formError, run } = useFormAction({ new_password: "password" } as Record<string, "password">);
  const [done, setDone] = useState(false);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setMismatch(password !== repeat);
    if (password !== repeat) return;
    void run(async () => {
      await client.auth.setPasswordWithToken({ token, newPassword: password });
      window.history.replaceState(null, "", window.location.pathname); // the token is spent
      setDone(true);
    });
  };

  return (
    <CenteredPage>
      <h1 className="text-center">Canopy admin</h1>
      <Card>
        {done ? (
          <div className="flex flex-col gap-4">
            <Alert tone="success">Your password is set.</Alert>
            <Link to="/sign-in">Continue to sign in</Link>
          </div>
        ) : !token ? (
          <Alert tone="danger">This link is incomplete. Open the whole link you were given again.</Alert>
        ) : (
          <form className="flex flex-col gap-4" onSubmit={submit} aria-label="Set your password" noValidate>
            {formError && <Alert tone="danger">{formError}</Alert>}
            <TextField label="New password" type="password" autoComplete="new-password" hint="12 to 128 characters, not a common one." value={password} error={errors.password} onChange={(e) => setPassword(e.target.value)} />
            <TextField label="Repeat the password" type="password" autoComplete="new-password" value={repeat} error={mismatch ? "The passwords do not match." : undefined} onChange={(e) => setRepeat(e.target.value)} />
            <Button type="submit" busy={busy}>
              Set password
            </Button>
          </form>
        )}
      </Card>
    </CenteredPage>
  );
}
