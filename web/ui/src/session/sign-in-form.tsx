import { type FormEvent, useState } from "react";
import type { CanopyClient } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { TextField } from "../components/text-field";
import { errorMessage } from "./error-message";
import type { SessionTokens } from "./session-store";

export interface SignInFormProps {
  client: CanopyClient;
  onSignedIn: (tokens: SessionTokens) => void;
}

/** Email and password, then the authenticator code when Login answers with an MFA challenge. */
export function SignInForm({ client, onSignedIn }: SignInFormProps) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [challenge, setChallenge] = useState<string>();
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const signIn = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const res = await client.auth.login({ email, password });
      if (res.result.case === "session") {
        onSignedIn({ accessToken: res.result.value.accessToken, refreshToken: res.result.value.refreshToken });
      } else if (res.result.case === "mfaChallenge") {
        setChallenge(res.result.value.challengeToken);
      } else {
        setError("Sign-in did not complete. Please try again.");
      }
    });
  };

  const verify = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const res = await client.auth.completeMfaLogin({ challengeToken: challenge!, totpCode: code.replace(/\s/g, "") });
      if (!res.session) throw new Error("no session");
      onSignedIn({ accessToken: res.session.accessToken, refreshToken: res.session.refreshToken });
    });
  };

  if (challenge) {
    return (
      <form onSubmit={verify} className="flex flex-col gap-4" aria-label="Two-factor verification">
        <p>Enter the 6-digit code from your authenticator app.</p>
        {error && <Alert tone="danger">{error}</Alert>}
        <TextField label="Authentication code" inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />
        <Button type="submit" busy={busy}>
          Verify
        </Button>
      </form>
    );
  }
  return (
    <form onSubmit={signIn} className="flex flex-col gap-4" aria-label="Sign in">
      {error && <Alert tone="danger">{error}</Alert>}
      <TextField label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
      <TextField label="Password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      <Button type="submit" busy={busy}>
        Sign in
      </Button>
    </form>
  );
}
