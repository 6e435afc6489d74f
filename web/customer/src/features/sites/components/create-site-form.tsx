//! The create-site form: provider → region (ListRegions) → size, image and port.
//! Server field violations are shown beside the field they name.
import { type FormEvent, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, CanopyError, Code, sites } from "@canopy/sdk";
import { Alert, Button, PROVIDERS, SIZES, SelectField, TextField, errorMessage } from "@canopy/ui";

export interface CreateSiteFormProps {
  client: Pick<CanopyClient, "sites">;
  customerId: string;
  onCreated: (created: sites.CreateSiteResponse) => void;
}

/** Server field paths → the form field that shows them. */
const FIELD_OF: Record<string, keyof FormErrors> = {
  name: "name",
  provider: "provider",
  region: "region",
  size: "size",
  runtime: "image",
  "runtime.image": "image",
  "runtime.port": "port",
};

interface FormErrors {
  name?: string;
  provider?: string;
  region?: string;
  size?: string;
  image?: string;
  port?: string;
}

function sentence(text: string): string {
  return text ? text[0]!.toUpperCase() + text.slice(1) : text;
}

export function CreateSiteForm({ client, customerId, onCreated }: CreateSiteFormProps) {
  const [name, setName] = useState("");
  const [provider, setProvider] = useState("");
  const [region, setRegion] = useState("");
  const [size, setSize] = useState(String(sites.SiteSize.SMALL));
  const [image, setImage] = useState("nginx:1.27");
  const [port, setPort] = useState("80");
  const [errors, setErrors] = useState<FormErrors>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const regions = useQuery({
    queryKey: ["regions", provider],
    queryFn: () => client.sites.listRegions({ provider: Number(provider) }),
    enabled: provider !== "",
    staleTime: 10 * 60_000,
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError(undefined);
    try {
      const created = await client.sites.createSite({
        idempotencyKey: crypto.randomUUID(),
        customerId,
        name: name.trim(),
        provider: Number(provider || 0),
        region,
        size: Number(size),
        runtime: { image: image.trim(), port: Number.parseInt(port, 10) || 0 },
      });
      onCreated(created);
    } catch (e) {
      if (e instanceof CanopyError && e.code === Code.InvalidArgument && e.fieldViolations.length > 0) {
        const next: FormErrors = {};
        const unplaced: string[] = [];
        for (const v of e.fieldViolations) {
          const field = FIELD_OF[v.field];
          if (field) next[field] ??= sentence(v.description);
          else unplaced.push(`${v.field}: ${v.description}`);
        }
        setErrors(next);
        setFormError(unplaced.length > 0 ? `Please check: ${unplaced.join("; ")}` : "Some fields need attention.");
      } else {
        setFormError(errorMessage(e));
      }
    } finally {
      setBusy(false);
    }
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
      <TextField label="Container image" value={image} onChange={(e) => setImage(e.target.value)} error={errors.image} required />
      <TextField label="Port" inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} error={errors.port} required />
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" busy={busy}>
          {busy ? "Creating site…" : "Create site"}
        </Button>
      </div>
    </form>
  );
}
