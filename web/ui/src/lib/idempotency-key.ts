//! Keys that make a retried create or change return the first attempt's result.
//! Built from `crypto.getRandomValues`, which every browser offers on every origin:
//! `crypto.randomUUID` exists only in secure contexts, and a customer's portal may
//! be served over plain http on its own domain.

/** A random version-4 UUID (36 characters: within the API's 8 to 128). */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
