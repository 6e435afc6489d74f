//! Two-factor authentication: BeginMfaSetup → the otpauth URI as a QR code and the
//! secret for manual entry → ConfirmMfaSetup with a first code → the ten recovery
//! codes, shown once. With MFA on: DisableMfa (password and a current code).
import { type FormEvent, useEffect, useState } from "react";
import QRCode from "qrcode";
import type { CanopyClient } from "@canopy/sdk";
import { Alert, Button, StatusBadge, TextField, useFormAction } from "@canopy/ui";
import { useConfirmMfaSetup, useDisableMfa } from "../api/mfa";

export interface MfaCardProps {
  client: Pick<CanopyClient, "auth">;
  /** Whether the signed-in user has MFA on (`User.mfa_enabled`). */
  mfaEnabled: boolean;
  /** MFA was turned on or off (refresh the user). */
  onChanged?: () => void;
}

/** The secret in groups of four, easier to type into an authenticator. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})/g, "$1 ").trim();
}

const digits = (code: string) => code.replace(/\s/g, "");

function QrCode({ uri }: { uri: string }) {
  const [src, setSrc] = useState<string>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(uri, { margin: 1, width: 200, errorCorrectionLevel: "M" }).then(
      (url) => live && setSrc(url),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [uri]);
  if (failed) return <Alert tone="danger">The QR code could not be drawn; enter the secret by hand.</Alert>;
  return src ? <img className="size-50 rounded-brand border border-line bg-white [image-rendering:pixelated]" src={src} alt="QR code for your authenticator app" /> : <span className="block size-50 rounded-brand border border-line bg-white" aria-hidden />;
}

type CodeField = "totpCode" | "password";
const CODE_FIELDS: Record<string, CodeField> = { totp_code: "totpCode", password: "password" };

export function MfaCard({ client, mfaEnabled, onChanged }: MfaCardProps) {
  const [setup, setSetup] = useState<{ uri: string; secret: string }>();
  const [recoveryCodes, setRecoveryCodes] = useState<string[]>();
  const [disabling, setDisabling] = useState(false);
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [notice, setNotice] = useState<string>();
  const form = useFormAction(CODE_FIELDS);
  const confirmMfaSetup = useConfirmMfaSetup(client);
  const disableMfa = useDisableMfa(client);
  const { busy, errors, formError } = form;

  const run = (action: () => Promise<void>) => {
    setNotice(undefined);
    return form.run(action);
  };

  const begin = () =>
    run(async () => {
      const res = await client.auth.beginMfaSetup({});
      setSetup({ uri: res.otpauthUri, secret: res.secretBase32 });
      setCode("");
    });

  const confirm = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const res = await confirmMfaSetup.mutateAsync(digits(code));
      setSetup(undefined);
      setCode("");
      setRecoveryCodes(res.recoveryCodes);
      onChanged?.();
    });
  };

  const disable = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await disableMfa.mutateAsync({ password, totpCode: digits(code) });
      setDisabling(false);
      setPassword("");
      setCode("");
      setNotice("Two-factor authentication is off.");
      onChanged?.();
    });
  };

  if (recoveryCodes) {
    return (
      <div className="flex flex-col gap-4" aria-label="Recovery codes" role="region">
        <Alert tone="success" title="Two-factor authentication is on">
          Save these recovery codes somewhere safe. Each signs you in once if you lose your authenticator. They are shown only now.
        </Alert>
        <ol className="m-0 grid list-none grid-cols-[repeat(2,max-content)] gap-x-6 gap-y-1 p-0 font-mono" aria-label="Your recovery codes">
          {recoveryCodes.map((c) => (
            <li key={c}>{c}</li>
          ))}
        </ol>
        <div>
          <Button onClick={() => setRecoveryCodes(undefined)}>I have saved my recovery codes</Button>
        </div>
      </div>
    );
  }

  if (setup) {
    return (
      <form onSubmit={confirm} className="flex flex-col gap-4" aria-label="Set up two-factor authentication">
        <p>Scan this code with your authenticator app, or enter the secret by hand, then type the 6-digit code it shows.</p>
        <QrCode uri={setup.uri} />
        <p>
          Secret:{" "}
          <code className="rounded bg-canvas px-1.5 py-0.5 font-mono break-all" data-testid="mfa-secret" data-secret={setup.secret}>
            {grouped(setup.secret)}
          </code>
        </p>
        {formError && <Alert tone="danger">{formError}</Alert>}
        <TextField
          label="Authentication code"
          inputMode="numeric"
          autoComplete="one-time-code"
          required
          value={code}
          error={errors.totpCode}
          onChange={(e) => setCode(e.target.value)}
        />
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" busy={busy}>
            Turn on two-factor authentication
          </Button>
          <Button variant="secondary" onClick={() => setSetup(undefined)}>
            Cancel
          </Button>
        </div>
      </form>
    );
  }

  if (mfaEnabled && disabling) {
    return (
      <form onSubmit={disable} className="flex flex-col gap-4" aria-label="Turn off two-factor authentication">
        <p>Confirm with your password and a current code from your authenticator.</p>
        {formError && <Alert tone="danger">{formError}</Alert>}
        <TextField
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          error={errors.password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <TextField
          label="Authentication code"
          inputMode="numeric"
          autoComplete="one-time-code"
          required
          value={code}
          error={errors.totpCode}
          onChange={(e) => setCode(e.target.value)}
        />
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" variant="danger" busy={busy}>
            Turn off two-factor authentication
          </Button>
          <Button variant="secondary" onClick={() => setDisabling(false)}>
            Keep it on
          </Button>
        </div>
      </form>
    );
  }

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-3">
        <span>Two-factor authentication</span>
        <StatusBadge label={mfaEnabled ? "On" : "Off"} tone={mfaEnabled ? "success" : "neutral"} />
      </div>
      {notice && <Alert tone="success">{notice}</Alert>}
      {formError && <Alert tone="danger">{formError}</Alert>}
      <div>
        {mfaEnabled ? (
          <Button variant="secondary" onClick={() => setDisabling(true)}>
            Turn off two-factor authentication
          </Button>
        ) : (
          <Button busy={busy} onClick={begin}>
            Set up two-factor authentication
          </Button>
        )}
      </div>
    </div>
  );
}
