//! Protobuf timestamps in the reader's locale.

interface Timestamp {
  seconds: bigint;
}

export function toDate(time: Timestamp | undefined): Date | undefined {
  return time ? new Date(Number(time.seconds) * 1000) : undefined;
}

/** Date and time, e.g. "3/4/2026, 14:05:00"; "—" when unset. */
export function formatDateTime(time: Timestamp | undefined): string {
  return toDate(time)?.toLocaleString() ?? "—";
}

/** The date only; "—" when unset. */
export function formatDate(time: Timestamp | undefined): string {
  return toDate(time)?.toLocaleDateString() ?? "—";
}
