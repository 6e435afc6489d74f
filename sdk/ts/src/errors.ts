/**
 * Typed errors: every failed call made through a Canopy client rejects with a
 * `CanopyError`, a `ConnectError` that also exposes the `google.rpc` details Canopy
 * sends — the `ErrorInfo` reason, `BadRequest` field violations, `RetryInfo`.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type ErrorInfo,
  type FieldViolation,
  TYPE_BAD_REQUEST,
  TYPE_ERROR_INFO,
  TYPE_RETRY_INFO,
  decodeBadRequest,
  decodeErrorInfo,
  decodeRetryInfo,
  decodeStatus,
  typeName,
} from "./rpc-status.js";

const brand = Symbol.for("@canopy/sdk.CanopyError");

/** A failed Canopy call with its decoded `google.rpc` details. */
export class CanopyError extends ConnectError {
  /**
   * `ConnectError`'s own `instanceof` accepts any error shaped like a ConnectError,
   * which subclasses inherit; a CanopyError is recognised by its brand instead (so
   * it also works across copies of this package).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as { [brand]?: true })[brand] === true;
  }

  // `name` stays "ConnectError", so `instanceof ConnectError` and `ConnectError.from`
  // treat a CanopyError as the ConnectError it is.
  private readonly [brand] = true;
  /** `ErrorInfo.reason`, e.g. `INVALID_ARGUMENT`, `RATE_LIMITED`; `""` when absent. */
  readonly reason: string;
  /** `ErrorInfo.domain` (`canopy.dev` for Canopy's own errors); `""` when absent. */
  readonly domain: string;
  /** `ErrorInfo.metadata`. */
  readonly errorMetadata: Readonly<Record<string, string>>;
  /** `BadRequest.field_violations`, in the order the server sent them. */
  readonly fieldViolations: readonly FieldViolation[];
  /** `RetryInfo.retry_delay` in milliseconds, when the server says when to retry. */
  readonly retryDelayMs: number | undefined;

  constructor(error: ConnectError) {
    super(error.rawMessage, error.code, error.metadata, undefined, error.cause ?? error);
    this.details = error.details;
    let info: ErrorInfo | undefined;
    const violations: FieldViolation[] = [];
    let retryDelayMs: number | undefined;
    for (const detail of incomingDetails(error)) {
      switch (detail.type) {
        case TYPE_ERROR_INFO:
          info ??= decodeErrorInfo(detail.value);
          break;
        case TYPE_BAD_REQUEST:
          violations.push(...decodeBadRequest(detail.value).fieldViolations);
          break;
        case TYPE_RETRY_INFO:
          retryDelayMs ??= decodeRetryInfo(detail.value).retryDelayMs;
          break;
      }
    }
    this.reason = info?.reason ?? "";
    this.domain = info?.domain ?? "";
    this.errorMetadata = info?.metadata ?? {};
    this.fieldViolations = violations;
    this.retryDelayMs = retryDelayMs;
  }

  /** The description of the violation of `field`, if the server reported one. */
  violation(field: string): string | undefined {
    return this.fieldViolations.find((v) => v.field === field)?.description;
  }

  /** The violations as a map from field to description (first one per field). */
  violationsByField(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const v of this.fieldViolations) out[v.field] ??= v.description;
    return out;
  }
}

/**
 * The raw details of an error: those Connect parsed from the trailers, else the
 * `grpc-status-details-bin` metadata decoded here.
 */
function incomingDetails(error: ConnectError): { type: string; value: Uint8Array }[] {
  const parsed = error.details.flatMap((d) => ("type" in d && "value" in d ? [{ type: d.type, value: d.value }] : []));
  if (parsed.length > 0) return parsed;
  const header = error.metadata.get("grpc-status-details-bin");
  if (!header) return [];
  try {
    return decodeStatus(base64Decode(header)).details.map((any) => ({ type: typeName(any.typeUrl), value: any.value }));
  } catch {
    return [];
  }
}

function base64Decode(text: string): Uint8Array {
  const normalised = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = normalised + "=".repeat((4 - (normalised.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Any thrown value as a `CanopyError` (network failures become `Code.Unknown`/`Unavailable`). */
export function toCanopyError(error: unknown): CanopyError {
  if (error instanceof CanopyError) return error;
  return new CanopyError(ConnectError.from(error, Code.Unknown));
}

/** Whether `error` is a `CanopyError` with `code`. */
export function isCanopyError(error: unknown, code?: Code): error is CanopyError {
  return error instanceof CanopyError && (code === undefined || error.code === code);
}
