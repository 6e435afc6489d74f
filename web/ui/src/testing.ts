//! Helpers for the portals' component tests (not part of any bundle).
import { CanopyError, Code, ConnectError } from "@canopy/sdk";

/** A CanopyError as the SDK builds it from a gateway answer with `google.rpc.BadRequest` details. */
export function invalidArgument(violations: { field: string; description: string }[], message = "invalid request"): CanopyError {
  // BadRequest { repeated FieldViolation field_violations = 1 { field = 1; description = 2 } }
  const enc = new TextEncoder();
  const bytes: number[] = [];
  for (const v of violations) {
    const f = [...enc.encode(v.field)];
    const d = [...enc.encode(v.description)];
    const inner = [0x0a, f.length, ...f, 0x12, d.length, ...d];
    bytes.push(0x0a, inner.length, ...inner);
  }
  const error = new ConnectError(message, Code.InvalidArgument);
  error.details = [{ type: "google.rpc.BadRequest", value: new Uint8Array(bytes) }];
  return new CanopyError(error);
}

/** A CanopyError with `code` and `message` and no details. */
export function canopyError(code: Code, message: string): CanopyError {
  return new CanopyError(new ConnectError(message, code));
}
