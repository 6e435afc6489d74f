//! A new SIEM endpoint: its URL and what it is for. Server field violations are
//! shown beside the field they name; one idempotency key per endpoint, so a retry
//! after a lost answer does not add a second one.
import { type FormEvent, useState } from "react";
import type { CanopyClient, audit } from "@canopy/sdk";
import { Alert, Button, TextField, newIdempotencyKey, useFormAction } from "@canopy/ui";
import { useCreateSiemEndpoint } from "../api/siem";

type Field = "url" | "description";
const FIELD_OF: Record<string, Field> = { url: "url", description: "description" };

export interface CreateSiemEndpointFormProps {
  client: Pick<CanopyClient, "siem">;
  onCreated: (created: audit.CreateSiemEndpointResponse) => void;
}

export function CreateSiemEndpointForm({ client, onCreated }: CreateSiemEndpointFormProps) {
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [idempotencyKey, setIdempotencyKey] = useState(() => newIdempotencyKey());
  const { busy, errors, formError, run, refuse } = useFormAction(FIELD_OF);
  const create = useCreateSiemEndpoint(client);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!url.trim()) {
      refuse({ url: "Enter the endpoint's https:// URL." });
      return;
    }
    void run(async () => {
      const created = await create.mutateAsync({ idempotencyKey, url: url.trim(), description: description.trim() });
      setUrl("");
      setDescription("");
      setIdempotencyKey(newIdempotencyKey());
      onCreated(created);
    });
  };

  return (
    <form className="flex flex-col gap-4" onSubmit={submit} aria-label="Add SIEM endpoint" noValidate>
      {formError && <Alert tone="danger">{formError}</Alert>}
      <div className="grid grid-cols-2 gap-4 max-sm:grid-cols-1">
        <TextField label="URL" type="url" hint="Where every audit event is POSTed, signed (Standard Webhooks)." value={url} onChange={(e) => setUrl(e.target.value)} error={errors.url} required />
        <TextField label="Description" hint="What it is, e.g. “Splunk HEC”." value={description} onChange={(e) => setDescription(e.target.value)} error={errors.description} />
      </div>
      <div>
        <Button type="submit" busy={busy}>
          {busy ? "Adding endpoint…" : "Add endpoint"}
        </Button>
      </div>
    </form>
  );
}
