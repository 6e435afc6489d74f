import { type Timestamp, toDate } from "@canopy/ui";

/** The date only, in the reader's locale; "—" when unset. */
export function formatDate(time: Timestamp | undefined): string {
  return toDate(time)?.toLocaleDateString() ?? "—";
}
