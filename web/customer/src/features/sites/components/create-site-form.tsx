//! The create-site form: provider → region (ListRegions) → size, database and
//! storage, image and port, with what the site will cost (EstimateSite) updated as
//! the choices change. Required fields left empty are refused before sending;
//! server field violations are shown beside the field they name. Either way focus
//! moves to the first to fix.
import { type FormEvent, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, sites } from "@canopy/sdk";
import { Alert, Button, errorMessage, newIdempotencyKey, PROVIDERS, SelectField, SIZES, TextField, useFormAction } from "@canopy/ui";
import { regionQueries, useCreateSite } from "../api/sites";
import { SiteEstimate } from "./site-estimate";

export interface CreateSiteFormProps {
  client: Pick<CanopyClient, "sites" | "costs">;
  customerId: string;
  onCreated: (created: sites.CreateSiteResponse) => void;
}

type Field = "name" | "provider" | "region" | "size" | "database" | "storage" | "image" | "port";

/** Server field paths → the form field that shows them. */
const FIELD_OF: Record<string, Field> = {
  name: "name",
  provider: "provider",
  region: "region",
  size: "size",
  database_enabled: "database",
  storage_enabled: "storage",
  runtime: "image",
  "runtime.image": "image",
  "runtime.port": "port",
};

export function CreateSiteForm({ client, customerId, onCreated }: CreateSiteFormProps) {
  const [name, setName] = useState("");
  const [provider, setProvider] = useState("");
  const [region, setRegion] = useState("");
  const [size, setSize] = useState(String(sites.SiteSize.SMALL));
  const [databaseEnabled, setDatabaseEnabled] = useState(false);
  const [storageEnabled, setStorageEnabled] = useState(false);
  const [image, setImage] = useState("nginx:1.27");
  const [port, setPort] = useState("80");
  const { busy, errors, formError, run, refuse } = useFormAction(FIELD_OF);

  const regions = useQuery(regionQueries.ofProvider(client, provider));
  const createSite = useCreateSite(client);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // What the server would refuse anyway, said before the round trip.
    const missing: Partial<Record<Field, string>> = {};
    if (!name.trim()) missing.name = "Enter a name for the site.";
    if (provider === "") missing.provider = "Choose a cloud provider.";
    else if (region === "") missing.region = "Choose a region.";
    if (Object.keys(missing).length > 0) {
      refuse(missing);
      return;
    }
    void run(async () => {
      const created = await createSite.mutateAsync({
        idempotencyKey: newIdempotencyKey(),
        customerId,
        name: name.trim(),
        provider: Number(provider || 0),
        region,
        size: Number(size),
        databaseEnabled,
        storageEnabled,
        runtime: { image: image.trim(), port: Number.parseInt(port, 10) || 0 },
      });
      onCreated(created);
    });
  };

  return (
    <form className="flex flex-col gap-4" onSubmit={submit} aria-label="Create site" noValidate>
      {formError && <Alert tone="danger">{formError}</Alert>}
      <TextField label="Site name" hint="Lower-case letters, digits and hyphens." value={name} onChange={(e) => setName(e.target.value)} error={errors.name} required />
      <SelectField
        label="Cloud provider"
        placeholder="Choose a provider"
        options={PROVIDERS}
        value={provider}
        onChange={(e) => {
          setProvider(e.target.value);
          setRegion("");
        }}
        error={errors.provider}
        required
      />
      <SelectField
        label="Region"
        placeholder={provider === "" ? "Choose a provider first" : regions.isPending ? "Loading regions…" : "Choose a region"}
        options={(regions.data?.regions ?? []).map((r) => ({ value: r.code, label: `${r.displayName} (${r.code})` }))}
        value={region}
        onChange={(e) => setRegion(e.target.value)}
        disabled={provider === "" || regions.isPending}
        error={errors.region ?? (regions.isError ? errorMessage(regions.error) : undefined)}
        required
      />
      <SelectField label="Size" options={SIZES} value={size} onChange={(e) => setSize(e.target.value)} error={errors.size} />
      <fieldset className="flex flex-col gap-1">
        <legend className="text-[0.95rem] font-semibold">Extras</legend>
        <label className="flex min-h-control items-center gap-2">
          <input type="checkbox" className="size-4 accent-primary" checked={databaseEnabled} onChange={(e) => setDatabaseEnabled(e.target.checked)} aria-invalid={errors.database ? true : undefined} />
          Managed PostgreSQL database
        </label>
        {errors.database && (
          <p className="m-0 text-sm text-danger" role="alert">
            {errors.database}
          </p>
        )}
        <label className="flex min-h-control items-center gap-2">
          <input type="checkbox" className="size-4 accent-primary" checked={storageEnabled} onChange={(e) => setStorageEnabled(e.target.checked)} aria-invalid={errors.storage ? true : undefined} />
          Object storage bucket
        </label>
        {errors.storage && (
          <p className="m-0 text-sm text-danger" role="alert">
            {errors.storage}
          </p>
        )}
      </fieldset>
      <TextField label="Container image" value={image} onChange={(e) => setImage(e.target.value)} error={errors.image} required />
      <TextField label="Port" inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} error={errors.port} required />
      <SiteEstimate
        client={client}
        customerId={customerId}
        provider={provider}
        region={region}
        size={Number(size)}
        databaseEnabled={databaseEnabled}
        storageEnabled={storageEnabled}
      />
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" busy={busy}>
          {busy ? "Creating site…" : "Create site"}
        </Button>
      </div>
    </form>
  );
}
