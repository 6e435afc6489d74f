//! Helpers for the portals' component tests (not part of any bundle).
import { vi } from "vitest";
import { CanopyError, Code, ConnectError, alerts, audit, create } from "@canopy/sdk";

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

export type AuditEventInit = { id: string; action: string; customerId?: string; sequence?: bigint; code?: string; reason?: string; summaryJson?: string };

/** An audit event as ListAuditEvents returns it: a call (or a `security.…` event) by an owner, answered `code`. */
export const auditEvent = ({ id, action, customerId = "", sequence = 1n, code = "OK", reason = "", summaryJson = "" }: AuditEventInit) =>
  create(audit.AuditEventSchema, {
    record: {
      id,
      customerId,
      action,
      kind: action.startsWith("security.") ? audit.EventKind.SECURITY : audit.EventKind.CALL,
      actor: { kind: audit.ActorKind.USER, id: "u-ann", role: "owner" },
      resourceIds: ["site-1", "c-1"],
      outcome: { code, reason },
      originAddress: "203.0.113.9",
      userAgent: "Mozilla/5.0",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      occurTime: { seconds: 1_800_000_000n },
      summaryJson,
      service: "sites",
    },
    sequence,
    hash: "ab".repeat(32),
    previousHash: "0".repeat(64),
    appendTime: { seconds: 1_800_000_001n },
  });

/** Catches the download: the object URL's Blob and the link's file name. */
export function catchDownloads() {
  const blobs: Blob[] = [];
  const names: string[] = [];
  URL.createObjectURL = vi.fn((blob: Blob) => {
    blobs.push(blob);
    return `blob:test/${blobs.length}`;
  });
  URL.revokeObjectURL = vi.fn();
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
    names.push(this.download);
  });
  return { blobs, names };
}


export type AlertInit = { id?: string; labels: Record<string, string>; customerId?: string; state?: alerts.AlertState; summary?: string; ended?: boolean };

/** An alert as ListAlerts returns it: firing since 1 800 000 000 s unless `state` says otherwise. */
export const alertOf = ({ id = "0123456789abcdef", labels, customerId = "", state = alerts.AlertState.FIRING, summary = "", ended = false }: AlertInit) =>
  create(alerts.AlertSchema, {
    id,
    labels,
    annotations: summary ? { summary } : {},
    startTime: { seconds: 1_800_000_000n },
    endTime: ended || state === alerts.AlertState.RESOLVED ? { seconds: 1_800_000_300n } : undefined,
    state,
    customerId,
  });
