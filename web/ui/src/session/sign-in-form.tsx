import { type FormEvent, useState } from "react";
import { type CanopyClient, Code, toCanopyError } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { TextField } from "../components/text-field";
import { errorMessage } from "./error-message";
import type { SessionTokens } from "./session-store";

export interface SignInFormProps {
  client: Pick<CanopyClient, "auth">;
  onSignedIn: (tokens: SessionTokens) => void;
}

/**
 * Email and password, then the authenticator code when Login answers with an MFA
 * challenge — or, for someone without their authenticator, one of their recovery
 * codes (each works once).
 */
export function SignInForm({ client, onSignedIn }: SignInFormProps) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [challenge, setChallenge] = useState<string>();
  const [code, setCode] = useState("");
  const [useRecovery, setUseRecovery] = useState(false);
  const [recoveryCode, setRecoveryCode] = useState("");
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
      // Exactly one of the two codes (CompleteMfaLoginRequest).
      const answer = useRecovery ? { recoveryCode: recoveryCode.trim() } : { totpCode: code.replace(/\s/g, "") };
      try {
        const res = await client.auth.completeMfaLogin({ challengeToken: challenge!, ...answer });
        if (!res.session) throw new Error("no session");
        onSignedIn({ accessToken: res.session.accessToken, refreshToken: res.session.refreshToken });
      } catch (e) {
        // A refused code spends the challenge (it works once): a new one needs the password again.
        if (toCanopyError(e).code !== Code.Unauthenticated) throw e;
        setChallenge(undefined);
        setCode("");
        setRecoveryCode("");
        setError(`${errorMessage(e)} Sign in again to try another code.`);
      }
    });
  };

  if (challenge) {
    const switchTo = (recovery: boolean) => {
      setUseRecovery(recovery);
      setError(undefined);
    };
    return (
      <form onSubmit={verify} className="flex flex-col gap-4" aria-label="Two-factor verification">
        {useRecovery ? (
          <p>Enter one of the recovery codes you saved when you turned on two-factor authentication. Each code works once.</p>
        ) : (
          <p>Enter the 6-digit code from your authenticator app.</p>
        )}
        {error && <Alert tone="danger">{error}</Alert>}
        {useRecovery ? (
          <TextField label="Recovery code" autoComplete="off" autoCapitalize="none" spellCheck={false} required value={recoveryCode} onChange={(e) => setRecoveryCode(e.target.value)} />
        ) : (
          <TextField label="Authentication code" inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />
        )}
        <Button type="submit" busy={busy}>
          Verify
        </Button>
        <button type="button" className="cursor-pointer self-start border-0 bg-transparent p-0 text-primary underline" onClick={() => switchTo(!useRecovery)}>
          {useRecovery ? "Use the authenticator app instead" : "Use a recovery code instead"}
        </button>
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
