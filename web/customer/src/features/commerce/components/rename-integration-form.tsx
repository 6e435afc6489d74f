//! Renaming an integration: UpdateIntegration with a display name and the revision
//! read (the credentials are kept); a violation beside the field, a stale revision
//! in the server's words.
import { type FormEvent, useState } from "react";
import type { CanopyClient, commerce } from "@canopy/sdk";
import { Alert, Button, TextField, useFormAction } from "@canopy/ui";
import { useUpdateIntegration } from "../api/integrations";

const FIELD_OF: Record<string, "displayName"> = { display_name: "displayName" };

export interface RenameIntegrationFormProps {
  client: Pick<CanopyClient, "integrations">;
  customerId: string;
  integration: commerce.Integration;
  onSaved: (integration: commerce.Integration) => void;
  onCancel: () => void;
}

export function RenameIntegrationForm({ client, customerId, integration, onSaved, onCancel }: RenameIntegrationFormProps) {
  const [displayName, setDisplayName] = useState(integration.displayName);
  const update = useUpdateIntegration(client);
  const { busy, errors, formError, run, refuse } = useFormAction(FIELD_OF);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const name = displayName.trim();
    if (!name) {
      refuse({ displayName: "Enter a name." });
      return;
    }
    void run(async () => {
      onSaved(await update.mutateAsync({ customerId, integrationId: integration.id, revision: integration.revision, displayName: name }));
    });
  };

  return (
    <form className="flex flex-col gap-3" onSubmit={submit} aria-label="Rename" noValidate>
      {formError && <Alert tone="danger">{formError}</Alert>}
      <TextField label="Display name" maxLength={100} value={displayName} onChange={(e) => setDisplayName(e.target.value)} error={errors.displayName} required />
      <div className="flex flex-wrap gap-3">
        <Button type="submit" busy={busy}>
          {busy ? "Saving…" : "Save name"}
        </Button>
        <Button variant="secondary" disabled={busy} onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
