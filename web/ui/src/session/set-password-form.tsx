//! Choosing a password with a single-use token from an invitation or reset link.
//! The token travels in the URL fragment, so it never reaches a server log; once
//! spent it is removed from the address bar.
import { type FormEvent, type ReactNode, useState } from "react";
import { Link } from "react-router";
import type { CanopyClient } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { TextField } from "../components/text-field";
import { useFormAction } from "./use-form-action";

/** The `token` of the page's `#token=…` fragment, or "". */
export function tokenFromFragment(hash = window.location.hash): string {
  return new URLSearchParams(hash.slice(1)).get("token") ?? "";
}

export interface SetPasswordFormProps {
  client: Pick<CanopyClient, "auth">;
  token: string;
  /** Above the fields, e.g. "Choose a password to finish setting up your account." */
  intro?: ReactNode;
  /** Said when the link has no token. */
  incomplete: string;
}

export function SetPasswordForm({ client, token, intro, incomplete }: SetPasswordFormProps) {
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

  if (done) {
    return (
      <div className="flex flex-col gap-4">
        <Alert tone="success">Your password is set.</Alert>
        <Link to="/sign-in">Continue to sign in</Link>
      </div>
    );
  }
  if (!token) return <Alert tone="danger">{incomplete}</Alert>;
  return (
    <form className="flex flex-col gap-4" onSubmit={submit} aria-label="Set your password" noValidate>
      {intro && <p className="m-0">{intro}</p>}
      {formError && <Alert tone="danger">{formError}</Alert>}
      <TextField label="New password" type="password" autoComplete="new-password" hint="12 to 128 characters, not a common one." value={password} error={errors.password} onChange={(e) => setPassword(e.target.value)} />
      <TextField
        label="Repeat the password"
        type="password"
        autoComplete="new-password"
        value={repeat}
        error={mismatch ? "The passwords do not match." : undefined}
        onChange={(e) => setRepeat(e.target.value)}
      />
      <Button type="submit" busy={busy}>
        Set password
      </Button>
    </form>
  );
}
