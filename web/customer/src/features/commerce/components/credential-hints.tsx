import type { commerce } from "@canopy/sdk";

/**
 * What is stored, as the API shows it: each field by its label, a secret by its last
 * four characters ("…a1b2"), in the platform's field order.
 */
export function CredentialHints({ hints, platform }: { hints: Record<string, string>; platform: commerce.PlatformInfo | undefined }) {
  const order = platform?.fields.map((f) => f.name) ?? [];
  const names = Object.keys(hints).sort((a, b) => (order.indexOf(a) + 1 || Infinity) - (order.indexOf(b) + 1 || Infinity) || a.localeCompare(b));
  if (names.length === 0) return <span className="text-muted">—</span>;
  return (
    <ul className="m-0 list-none p-0 text-sm">
      {names.map((name) => (
        <li key={name} className="break-all">
          <span className="text-muted">{platform?.fields.find((f) => f.name === name)?.label ?? name}:</span> <code>{hints[name]}</code>
        </li>
      ))}
    </ul>
  );
}
