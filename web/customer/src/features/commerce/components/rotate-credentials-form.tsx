//! "Rotate credentials": the platform's fields again (UpdateIntegration takes all of
//! them), the fields that are not secrets filled in from the stored values and the
//! store's address fixed, the secrets left empty to be typed anew. "Validate" asks
//! the store first; saving sends the revision read, and the service checks the new
//! credentials live before they replace the old ones.
import { type FormEvent, useState } from "react";
import type { CanopyClient, commerce } from "@canopy/sdk";
import { Alert, Button, useFormAction } from "@canopy/ui";
import { useUpdateIntegration, useValidateCredentials } from "../api/integrations";
import { CredentialFields, choicesOf, credentialFieldOf, credentialsToSend, missingCredentials } from "./credential-fields";
import { ValidationResult } from "./validation-result";

export interface RotateCredentialsFormProps {
  client: Pick<CanopyClient, "integrations">;
  customerId: string;
  integration: commerce.Integration;
  platform: commerce.PlatformInfo;
  onSaved: (integration: commerce.Integration) => void;
  onCancel: () => void;
}

/** The alternative the stored credentials use: the first whose fields have hints; else the platform's first. */
function storedChoice(platform: commerce.PlatformInfo, hints: Record<string, string>): string {
  const choices = choicesOf(platform);
  return choices.find((c) => platform.fields.some((f) => f.choice === c && hints[f.name])) ?? choices[0] ?? "";
}

/**
 * The field holding the store's address: the one that is not a secret and whose
 * stored value is the integration's `store`. (The contract marks no field as the
 * address, and UpdateIntegration refuses a change of it.)
 */
function storeField(integration: commerce.Integration, platform: commerce.PlatformInfo): string | undefined {
  return platform.fields.find((f) => !f.masked && !f.choice && integration.hints[f.name] === integration.store)?.name;
}

export function RotateCredentialsForm({ client, customerId, integration, platform, onSaved, onCancel }: RotateCredentialsFormProps) {
  const hints = integration.hints;
  const fixed = storeField(integration, platform);
  const [choice, setChoice] = useState(() => storedChoice(platform, hints));
  // Non-secret values come back in full: start from them. Secrets start empty.
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(platform.fields.filter((f) => !f.masked && hints[f.name]).map((f) => [f.name, hints[f.name]!])));
  const [result, setResult] = useState<commerce.ValidateCredentialsResponse>();
  const [pending, setPending] = useState<"validate" | "save">();
  const update = useUpdateIntegration(client);
  const validate = useValidateCredentials(client);
  const { busy, errors, formError, run, refuse } = useFormAction<string>(credentialFieldOf(platform));

  const ready = (): Record<string, string> | undefined => {
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
    if (!credentials) return;
    setPending("validate");
    void run(async () => {
      setResult(await validate.mutateAsync({ customerId, target: { case: "newCredentials", value: { platform: platform.platform, credentials } } }));
    }).finally(() => setPending(undefined));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const credentials = ready();
    if (!credentials) return;
    setPending("save");
    void run(async () => {
      onSaved(await update.mutateAsync({ customerId, integrationId: integration.id, revision: integration.revision, credentials }));
    }).finally(() => setPending(undefined));
  };

  return (
    <form className="flex flex-col gap-4" onSubmit={submit} aria-label="Rotate credentials" noValidate>
      <p className="m-0 text-sm text-muted">New credentials for the same store. They are checked with the store before they replace the stored ones; until then the old ones stay in use.</p>
      {formError && <Alert tone="danger">{formError}</Alert>}
      <CredentialFields
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
        readOnly={fixed ? new Set([fixed]) : undefined}
        storedHints={hints}
      />
      {result && <ValidationResult result={result} />}
      <div className="flex flex-wrap gap-3">
        <Button variant="secondary" busy={busy && pending === "validate"} disabled={busy} onClick={check}>
          {busy && pending === "validate" ? "Validating…" : "Validate"}
        </Button>
        <Button type="submit" busy={busy && pending === "save"} disabled={busy}>
          {busy && pending === "save" ? "Saving…" : "Save new credentials"}
        </Button>
        <Button variant="secondary" disabled={busy} onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
