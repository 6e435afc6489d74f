//! "Connect a store": a platform, its fields (see `CredentialFields`) and an optional
//! name. "Validate" asks the store now and shows its answer without storing
//! anything; "Connect store" creates the integration, which checks them again. The
//! server's violations land beside the fields; a store that refuses the credentials
//! (FAILED_PRECONDITION) is said above the form. Once connected the form, and the
//! secrets typed into it, are gone: the portal shows hints from then on.
import { type FormEvent, useState } from "react";
import type { CanopyClient, commerce } from "@canopy/sdk";
import { Alert, Button, SelectField, TextField, useFormAction } from "@canopy/ui";
import { useCreateIntegration, useValidateCredentials } from "../api/integrations";
import { CredentialFields, choicesOf, credentialFieldOf, credentialsToSend, missingCredentials } from "./credential-fields";
import { ValidationResult } from "./validation-result";

export interface ConnectStoreFormProps {
  client: Pick<CanopyClient, "integrations">;
  customerId: string;
  siteId: string;
  platforms: commerce.PlatformInfo[];
  onConnected: (integration: commerce.Integration) => void;
  onCancel: () => void;
}

export function ConnectStoreForm({ client, customerId, siteId, platforms, onConnected, onCancel }: ConnectStoreFormProps) {
  const [platformValue, setPlatformValue] = useState(platforms.length === 1 ? String(platforms[0]!.platform) : "");
  const platform = platforms.find((p) => String(p.platform) === platformValue);
  const [choice, setChoice] = useState(() => (platform ? (choicesOf(platform)[0] ?? "") : ""));
  const [values, setValues] = useState<Record<string, string>>({});
  const [displayName, setDisplayName] = useState("");
  const [result, setResult] = useState<commerce.ValidateCredentialsResponse>();
  const [pending, setPending] = useState<"validate" | "connect">();
  const create = useCreateIntegration(client);
  const validate = useValidateCredentials(client);
  const { busy, errors, formError, run, refuse } = useFormAction<string>(credentialFieldOf(platform));

  const choosePlatform = (value: string) => {
    const next = platforms.find((p) => String(p.platform) === value);
    setPlatformValue(value);
    setChoice(next ? (choicesOf(next)[0] ?? "") : "");
    setValues({});
    setResult(undefined);
  };

  /** The credentials to send, or nothing after refusing what is missing. */
  const ready = (): Record<string, string> | undefined => {
    if (!platform) {
      refuse({ platform: "Choose the store's platform." });
      return undefined;
    }
    const missing = missingCredentials(platform, choice, values);
    if (Object.keys(missing).length > 0) {
      refuse(missing);
      return undefined;
    }
    return credentialsToSend(platform, choice, values);
  };

  const check = () => {
    setResult(undefined);
    const credentials = ready();
    if (!credentials || !platform) return;
    setPending("validate");
    void run(async () => {
      setResult(await validate.mutateAsync({ customerId, target: { case: "newCredentials", value: { platform: platform.platform, credentials } } }));
    }).finally(() => setPending(undefined));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const credentials = ready();
    if (!credentials || !platform) return;
    setPending("connect");
    void run(async () => {
      const integration = await create.mutateAsync({ customerId, siteId, platform: platform.platform, credentials, displayName: displayName.trim() });
      onConnected(integration);
    }).finally(() => setPending(undefined));
  };

  return (
    <form className="flex flex-col gap-4" onSubmit={submit} aria-label="Connect a store" noValidate>
      {formError && <Alert tone="danger">{formError}</Alert>}
      <SelectField
        label="Platform"
        value={platformValue}
        placeholder="Choose a platform"
        options={platforms.map((p) => ({ value: String(p.platform), label: p.displayName }))}
        onChange={(e) => choosePlatform(e.target.value)}
        error={errors.platform}
        hint={platform?.apiVersion ? `Canopy calls its API version ${platform.apiVersion}.` : undefined}
      />
      {platform && (
        <>
          <CredentialFields
            key={platformValue}
            platform={platform}
            values={values}
            onChange={(name, value) => {
              setValues((prev) => ({ ...prev, [name]: value }));
              setResult(undefined);
            }}
            choice={choice}
            onChoice={(c) => {
              setChoice(c);
              setResult(undefined);
            }}
            errors={errors}
          />
          <TextField label="Display name" maxLength={100} value={displayName} onChange={(e) => setDisplayName(e.target.value)} error={errors.displayName} hint="Optional: the store's own name when empty." />
        </>
      )}
      {result && <ValidationResult result={result} />}
      <div className="flex flex-wrap gap-3">
        <Button variant="secondary" busy={busy && pending === "validate"} disabled={busy} onClick={check}>
          {busy && pending === "validate" ? "Validating…" : "Validate"}
        </Button>
        <Button type="submit" busy={busy && pending === "connect"} disabled={busy}>
          {busy && pending === "connect" ? "Connecting…" : "Connect store"}
        </Button>
        <Button variant="secondary" disabled={busy} onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
