//! Protobuf timestamps and durations in words: "3 minutes ago", "in 2 days",
//! "1 minute 5 seconds". Words are English like the rest of the portals; dates
//! shown in full use the reader's locale.

/** A `google.protobuf.Timestamp` (only whole seconds matter here). */
export interface Timestamp {
  seconds: bigint;
}

export function toDate(time: Timestamp | undefined): Date | undefined {
  return time && time.seconds > 0n ? new Date(Number(time.seconds) * 1000) : undefined;
}

/** Date and time in the reader's locale; "—" when unset. */
export function formatDateTime(time: Timestamp | undefined): string {
  return toDate(time)?.toLocaleString() ?? "—";
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** "3 minutes ago", "in 2 days", "yesterday"; `unset` when there is no time. */
export function timeInWords(time: Timestamp | undefined, unset = "—", now: number = Date.now()): string {
  const date = toDate(time);
  if (!date) return unset;
  const seconds = Math.round((date.getTime() - now) / 1000);
  if (Math.abs(seconds) < 45) return seconds <= 0 ? "just now" : "in a few seconds";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(seconds, "second");
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** A duration in its two largest units: "45 seconds", "2 minutes 5 seconds", "1 hour 4 minutes". */
export function durationInWords(milliseconds: number): string {
  const total = Math.max(0, Math.round(milliseconds / 1000));
  const parts: [number, string][] = [
    [Math.floor(total / 86_400), "day"],
    [Math.floor((total % 86_400) / 3600), "hour"],
    [Math.floor((total % 3600) / 60), "minute"],
    [total % 60, "second"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return "0 seconds";
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, word]) => plural(n, word))
    .join(" ");
}
