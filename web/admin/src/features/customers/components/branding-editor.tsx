//! A customer's branding: product name, colours, support contacts and the theme
//! variables tenancy allows (radius, font-family, density, shadow, header-style),
//! with a live preview themed by `@canopy/ui` exactly as the customer portal is;
//! UpdateBranding's field violations (an invalid hex colour, say) beside the field.
import { type FormEvent, useEffect, useRef, useState } from "react";
import { type CanopyClient, tenancy } from "@canopy/sdk";
import {
  Alert,
  type BrandingTheme,
  Button,
  Card,
  SelectField,
  StatusBadge,
  TextField,
  applyTheme,
  useFormAction,
} from "@canopy/ui";

export interface BrandingEditorProps {
  client: Pick<CanopyClient, "branding">;
  branding: tenancy.Branding;
  onSaved: (branding: tenancy.Branding) => void;
  /** The stored logo (a data URL), shown in the preview's header. */
  logoUrl?: string;
  /** Shows the branding without letting it change (platform operators). */
  readOnly?: boolean;
}

interface Draft {
  productName: string;
  primaryColor: string;
  secondaryColor: string;
  accentColor: string;
  supportEmail: string;
  mailSenderName: string;
  radius: string;
  fontFamily: string;
  density: string;
  shadow: string;
  headerStyle: string;
}
type Field = keyof Draft;

/** The allow-listed theme variables: form field ↔ `theme_variables` key. */
const THEME_KEYS: [Field, string][] = [
  ["radius", "radius"],
  ["fontFamily", "font-family"],
  ["density", "density"],
  ["shadow", "shadow"],
  ["headerStyle", "header-style"],
];

const FIELD_OF: Record<string, Field> = {
  product_name: "productName",
  primary_color: "primaryColor",
  secondary_color: "secondaryColor",
  accent_color: "accentColor",
  support_email: "supportEmail",
  mail_sender_name: "mailSenderName",
  ...Object.fromEntries(THEME_KEYS.map(([field, key]) => [`theme_variables[${key}]`, field])),
};

const options = (values: string[]) => values.map((v) => ({ value: v, label: v }));
const FONT_OPTIONS = options(["system", "inter", "roboto", "source-sans", "ibm-plex-sans", "serif"]);

function draftOf(b: tenancy.Branding): Draft {
  const v = b.themeVariables;
  return {
    productName: b.productName,
    primaryColor: b.primaryColor,
    secondaryColor: b.secondaryColor,
    accentColor: b.accentColor,
    supportEmail: b.supportEmail,
    mailSenderName: b.mailSenderName,
    radius: v.radius ?? "",
    fontFamily: v["font-family"] ?? "",
    density: v.density ?? "",
    shadow: v.shadow ?? "",
    headerStyle: v["header-style"] ?? "",
  };
}

function themeVariablesOf(d: Draft): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [field, key] of THEME_KEYS) if (d[field].trim()) vars[key] = d[field].trim();
  return vars;
}

function themeOf(d: Draft): BrandingTheme {
  return { productName: d.productName, primaryColor: d.primaryColor, secondaryColor: d.secondaryColor, accentColor: d.accentColor, themeVariables: themeVariablesOf(d) };
}

/** The customer portal in miniature, themed with `theme` on its own root (the admin portal keeps its look). */
export function BrandingPreview({ theme, logoUrl }: { theme: BrandingTheme; logoUrl?: string }) {
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (root.current) applyTheme(theme, root.current);
  }, [theme]);
  return (
    <div ref={root} className="overflow-hidden rounded-brand border border-dashed border-line bg-canvas font-sans text-ink" data-testid="branding-preview" aria-label="Preview" role="region">
      <div className="flex flex-wrap items-center gap-4 bg-header px-4 py-3 text-on-header">
        <span className="flex items-center gap-2 text-lg font-semibold">
          {logoUrl && <img src={logoUrl} alt="Logo" className="h-7 w-auto" />}
          <span>{theme.productName || "Canopy"}</span>
        </span>
        <span>Sites</span>
        <span className="flex-1" />
        <span>owner@example.com</span>
      </div>
      <div className="flex flex-col gap-3 p-4">
        <Card title="shop" actions={<StatusBadge label="Active" tone="success" />}>
          <div className="flex flex-col gap-4">
            <TextField label="Site name (preview)" defaultValue="shop" readOnly tabIndex={-1} />
            <div className="flex flex-wrap items-center gap-3">
              <Button tabIndex={-1}>Create site</Button>
              <Button tabIndex={-1} variant="secondary">
                Redeploy
              </Button>
              <a href="#preview" onClick={(e) => e.preventDefault()} tabIndex={-1}>
                A link
              </a>
            </div>
          </div>
        </Card>
      </div>
    </div>
  );
}

function ColourField({ label, value, error, onChange }: { label: string; value: string; error?: string; onChange: (v: string) => void }) {
  return (
    <div className="flex items-end gap-3">
      <div className="flex-1">
        <TextField label={label} value={value} error={error} placeholder="#rrggbb" spellCheck={false} onChange={(e) => onChange(e.target.value)} />
      </div>
      <span aria-hidden className="size-10 flex-none rounded-brand border border-line" style={{ background: /^#[0-9a-f]{6}$/i.test(value) ? value : "transparent" }} />
    </div>
  );
}

export function BrandingEditor({ client, branding, onSaved, logoUrl, readOnly = false }: BrandingEditorProps) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(branding));
  const { busy, errors, formError, run } = useFormAction(FIELD_OF);
  const [saved, setSaved] = useState(false);
  const set = (field: Field) => (value: string) => {
    setSaved(false);
    setDraft((d) => ({ ...d, [field]: value }));
  };
  const theme = themeOf(draft);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    void run(async () => {
      const res = await client.branding.updateBranding({
        customerId: branding.customerId,
        productName: draft.productName.trim(),
        primaryColor: draft.primaryColor.trim(),
        secondaryColor: draft.secondaryColor.trim(),
        accentColor: draft.accentColor.trim(),
        supportEmail: draft.supportEmail.trim(),
        mailSenderName: draft.mailSenderName.trim(),
        themeVariables: themeVariablesOf(draft),
      });
      setSaved(true);
      if (res.branding) onSaved(res.branding);
    });
  };

  const choose = (field: Field, label: string, values: { value: string; label: string }[]) => (
    <SelectField label={label} value={draft[field]} error={errors[field]} options={values} placeholder="Default" onChange={(e) => set(field)(e.target.value)} />
  );

  return (
    <div className="grid grid-cols-[repeat(auto-fit,minmax(280px,1fr))] gap-5">
      <form className="flex flex-col gap-4" aria-label="Branding" onSubmit={submit} noValidate>
        {saved && <Alert tone="success">Branding saved.</Alert>}
        {formError && <Alert tone="danger">{formError}</Alert>}
        <fieldset className="m-0 flex flex-col gap-4 border-0 p-0" disabled={readOnly}>
          <TextField label="Product name" value={draft.productName} error={errors.productName} onChange={(e) => set("productName")(e.target.value)} />
          <ColourField label="Primary colour" value={draft.primaryColor} error={errors.primaryColor} onChange={set("primaryColor")} />
          <ColourField label="Secondary colour" value={draft.secondaryColor} error={errors.secondaryColor} onChange={set("secondaryColor")} />
          <ColourField label="Accent colour" value={draft.accentColor} error={errors.accentColor} onChange={set("accentColor")} />
          <TextField label="Support email" type="email" value={draft.supportEmail} error={errors.supportEmail} onChange={(e) => set("supportEmail")(e.target.value)} />
          <TextField label="Mail sender name" value={draft.mailSenderName} error={errors.mailSenderName} onChange={(e) => set("mailSenderName")(e.target.value)} />
          <TextField label="Corner radius" value={draft.radius} error={errors.radius} placeholder="8px" hint="0 to 24px, e.g. 6px; empty for the default." onChange={(e) => set("radius")(e.target.value)} />
          {choose("fontFamily", "Font", FONT_OPTIONS)}
          {choose("density", "Density", options(["comfortable", "compact"]))}
          {choose("shadow", "Shadow", options(["none", "soft", "strong"]))}
          {choose("headerStyle", "Header style", options(["solid", "transparent"]))}
        </fieldset>
        {!readOnly && (
          <div className="flex flex-wrap items-center gap-3">
            <Button type="submit" busy={busy}>
              Save branding
            </Button>
            <Button variant="secondary" onClick={() => void run(async () => setDraft(draftOf(branding)))}>
              Reset
            </Button>
          </div>
        )}
      </form>
      <div className="flex flex-col gap-4">
        <strong>Live preview</strong>
        <BrandingPreview theme={theme} logoUrl={logoUrl} />
        <p className="m-0 text-sm text-muted">Unsaved. Values the portal cannot use (an invalid colour, say) fall back to the defaults here.</p>
      </div>
    </div>
  );
}
