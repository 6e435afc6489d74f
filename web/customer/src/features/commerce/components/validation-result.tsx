//! What the store answered a ValidateCredentials: valid, with the store's name; or
//! why not — the cause and the outcome in words, the scopes the credentials lack,
//! and how long a platform that throttled us asked to wait.
import type { commerce } from "@canopy/sdk";
import { Alert, causeLabel, durationInWords } from "@canopy/ui";

const sentence = (text: string) => {
  const t = text.trim();
  if (!t) return "";
  const capital = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
};

export function ValidationResult({ result }: { result: commerce.ValidateCredentialsResponse }) {
  return (
    <section aria-label="Validation result">
      {result.valid ? (
        <Alert tone="success" title="Valid">
          {result.storeName ? `The store “${result.storeName}” accepted the credentials, with every permission Canopy needs.` : "The store accepted the credentials, with every permission Canopy needs."}
          {result.message && <span className="block">{sentence(result.message)}</span>}
        </Alert>
      ) : (
        <Alert tone="danger" title={`Not valid: ${causeLabel(result.cause) || "the store refused them"}`}>
          {result.message && <span className="block">{sentence(result.message)}</span>}
          {result.storeName && <span className="block">Store: {result.storeName}</span>}
          {result.missingScopes.length > 0 && (
            <>
              <span className="block">The credentials lack {result.missingScopes.length === 1 ? "this permission" : "these permissions"}; grant {result.missingScopes.length === 1 ? "it" : "them"} in the platform&apos;s admin, then try again:</span>
              <ul aria-label="Missing scopes" className="my-1 pl-6">
                {result.missingScopes.map((s) => (
                  <li key={s}>
                    <code>{s}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          {result.retryAfterSeconds > 0n && <span className="block">The platform asked us to wait {durationInWords(Number(result.retryAfterSeconds) * 1000)} before trying again.</span>}
        </Alert>
      )}
    </section>
  );
}
