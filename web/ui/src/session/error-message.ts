//! Failed calls in words a user understands.
import { CanopyError, Code, toCanopyError } from "@canopy/sdk";

function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return "";
  const capital = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** A sentence for `error`, for an `Alert`. */
export function errorMessage(error: unknown): string {
  const e: CanopyError = toCanopyError(error);
  switch (e.code) {
    case Code.Unavailable:
    case Code.Unknown:
      if (!e.rawMessage || /fetch|network|load failed/i.test(e.rawMessage)) {
        return "Canopy cannot be reached right now. Check your connection and try again.";
      }
      return sentence(e.rawMessage);
    case Code.DeadlineExceeded:
      return "That took too long. Please try again.";
    case Code.Unauthenticated:
      return sentence(e.rawMessage) || "Your session has ended. Please sign in again.";
    case Code.PermissionDenied:
      return sentence(e.rawMessage) || "You do not have permission to do that.";
    case Code.ResourceExhausted: {
      const wait = e.retryDelayMs ? ` Try again in ${Math.ceil(e.retryDelayMs / 1000)} seconds.` : " Please wait a moment and try again.";
      return `${sentence(e.rawMessage) || "Too many attempts."}${wait}`;
    }
    case Code.InvalidArgument:
      return e.fieldViolations.length > 0 ? "Some fields need attention." : sentence(e.rawMessage) || "Some fields need attention.";
    case Code.NotFound:
      return sentence(e.rawMessage) || "That no longer exists.";
    default:
      return sentence(e.rawMessage) || "Something went wrong. Please try again.";
  }
}

/** Server field violations placed beside form fields. */
export interface FieldErrors<K extends string> {
  /** One message per form field (the first violation naming it). */
  fields: Partial<Record<K, string>>;
  /** Violations no form field shows, as "field: description". */
  unplaced: string[];
}

/**
 * The field violations of an INVALID_ARGUMENT `error`, mapped to form fields with
 * `fieldOf` (server field path → form field; a path not listed tries its
 * prefixes, longest first, cut before a `[` or `.`: `silence.matchers[0]` tries
 * `silence.matchers`, then `silence`). Undefined for other errors.
 */
export function fieldErrors<K extends string>(error: unknown, fieldOf: Record<string, K>): FieldErrors<K> | undefined {
  if (!(error instanceof CanopyError) || error.code !== Code.InvalidArgument || error.fieldViolations.length === 0) return undefined;
  const result: FieldErrors<K> = { fields: {}, unplaced: [] };
  for (const v of error.fieldViolations) {
    const field = fieldFor(v.field, fieldOf);
    if (field) result.fields[field] ??= v.description ? v.description[0]!.toUpperCase() + v.description.slice(1) : v.description;
    else result.unplaced.push(`${v.field}: ${v.description}`);
  }
  return result;
}

/** The form field a server field path names: the path itself, else its longest listed prefix. */
function fieldFor<K extends string>(path: string, fieldOf: Record<string, K>): K | undefined {
  for (let prefix = path; prefix; ) {
    const field = fieldOf[prefix];
    if (field) return field;
    const cut = Math.max(prefix.lastIndexOf("."), prefix.lastIndexOf("["));
    prefix = cut > 0 ? prefix.slice(0, cut) : "";
  }
  return undefined;
}
