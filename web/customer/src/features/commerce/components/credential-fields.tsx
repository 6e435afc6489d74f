//! A platform's connection form, drawn from ListPlatforms alone: each field's label,
//! where to find it, its placeholder and longest length; secrets as password inputs.
//! Fields sharing a `choice` are alternatives (Shopify: an Admin API access token, or
//! a client id and secret): a radio picks one, and only its fields are shown, after
//! the fields every connection needs.
import { useId } from "react";
import type { commerce } from "@canopy/sdk";
import { TextField } from "@canopy/ui";

/** The platform's choices, in the order its fields name them ([] when it has none). */
export function choicesOf(platform: commerce.PlatformInfo): string[] {
  return [...new Set(platform.fields.map((f) => f.choice).filter(Boolean))];
}

/** The fields shown for `choice`: those of no choice, then the choice's own. */
export function visibleFields(platform: commerce.PlatformInfo, choice: string): commerce.CredentialField[] {
  return [...platform.fields.filter((f) => !f.choice), ...platform.fields.filter((f) => f.choice && f.choice === choice)];
}

/** A choice in words: `client_credentials` → "Client credentials". */
export function choiceLabel(choice: string): string {
  const words = choice.replace(/[_-]+/g, " ").trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : choice;
}

/** Whether a shown field must be filled: required, or part of the chosen alternative (filled together). */
const mustFill = (field: commerce.CredentialField) => field.required || field.choice !== "";

/** The values to send: the shown fields only (a hidden alternative's are dropped), trimmed. */
export function credentialsToSend(platform: commerce.PlatformInfo, choice: string, values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of visibleFields(platform, choice)) {
    const value = (values[f.name] ?? "").trim();
    if (value) out[f.name] = value;
  }
  return out;
}

/** What the server would refuse anyway, said before sending: empty fields that must be filled. */
export function missingCredentials(platform: commerce.PlatformInfo, choice: string, values: Record<string, string>): Record<string, string> {
  const missing: Record<string, string> = {};
  for (const f of visibleFields(platform, choice)) {
    if (mustFill(f) && !(values[f.name] ?? "").trim()) missing[f.name] = `Enter the ${f.label.toLowerCase().startsWith("the ") ? f.label.slice(4) : f.label}.`;
  }
  return missing;
}

/**
 * Server field paths → the form's fields: a violation of `credentials.shop_domain`
 * (or `new_credentials.credentials.shop_domain` from ValidateCredentials) lands
 * beside the shop domain; `display_name` and `platform` beside theirs.
 */
export function credentialFieldOf(platform: commerce.PlatformInfo | undefined): Record<string, string> {
  const map: Record<string, string> = { platform: "platform", display_name: "displayName", "new_credentials.platform": "platform" };
  for (const f of platform?.fields ?? []) {
    for (const prefix of ["credentials", "new_credentials.credentials"]) {
      map[`${prefix}.${f.name}`] = f.name;
      map[`${prefix}[${f.name}]`] = f.name;
      map[`${prefix}["${f.name}"]`] = f.name;
    }
  }
  return map;
}

export interface CredentialFieldsProps {
  platform: commerce.PlatformInfo;
  values: Record<string, string>;
  onChange: (name: string, value: string) => void;
  /** The chosen alternative ("" when the platform has none). */
  choice: string;
  onChoice: (choice: string) => void;
  /** Messages beside the fields, by field name. */
  errors: Partial<Record<string, string>>;
  /** Fields shown but not changed here (the store address when rotating). */
  readOnly?: ReadonlySet<string>;
  /** The stored values' hints by field name, shown under the secret fields ("Stored: …a1b2"). */
  storedHints?: Record<string, string>;
}

export function CredentialFields({ platform, values, onChange, choice, onChoice, errors, readOnly, storedHints }: CredentialFieldsProps) {
  const id = useId();
  const choices = choicesOf(platform);
  const field = (f: commerce.CredentialField) => {
    const stored = f.masked ? storedHints?.[f.name] : undefined;
    return (
      <TextField
        key={f.name}
        label={f.label}
        type={f.masked ? "password" : "text"}
        // A secret is never offered to the browser's password manager, nor spell-checked.
        autoComplete={f.masked ? "new-password" : "off"}
        spellCheck={false}
        placeholder={f.placeholder || undefined}
        maxLength={f.maxLength > 0 ? f.maxLength : undefined}
        required={mustFill(f)}
        readOnly={readOnly?.has(f.name)}
        value={values[f.name] ?? ""}
        onChange={(e) => onChange(f.name, e.target.value)}
        error={errors[f.name]}
        hint={
          <>
            {f.help}
            {stored && <span className="block">Stored now: {stored}</span>}
            {readOnly?.has(f.name) && <span className="block">The store cannot change; connect another store instead.</span>}
          </>
        }
      />
    );
  };
  return (
    <div className="flex flex-col gap-4">
      {platform.fields.filter((f) => !f.choice).map(field)}
      {choices.length > 1 ? (
        <fieldset className="flex flex-col gap-4 rounded-brand border border-line p-3">
          <legend className="px-1 font-semibold">Credentials</legend>
          <div className="flex flex-wrap gap-x-6 gap-y-2">
            {choices.map((c) => {
              const note = `${id}-${c}-fields`;
              return (
                // The fields it stands for sit beside the label, not in it, so a field's label names one control only.
                <span key={c} className="inline-flex min-h-control items-center gap-2">
                  <label className="inline-flex items-center gap-2">
                    <input type="radio" className="size-4 accent-primary" name={`${id}-choice`} value={c} checked={choice === c} onChange={() => onChoice(c)} aria-describedby={note} />
                    {choiceLabel(c)}
                  </label>
                  <span id={note} className="text-sm text-muted">
                    ({platform.fields.filter((f) => f.choice === c).map((f) => f.label).join(", ")})
                  </span>
                </span>
              );
            })}
          </div>
          {platform.fields.filter((f) => f.choice && f.choice === choice).map(field)}
        </fieldset>
      ) : (
        platform.fields.filter((f) => f.choice).map(field)
      )}
    </div>
  );
}
