//! The audit trail's filters as the URL keeps them (`?customer=`, `?platform=1`,
//! `?actor=`, `?action=`, `?resource=`, `?outcome=`, `?from=`, `?to=` with dates as
//! YYYY-MM-DD), and the `AuditFilter` they ask the audit service for.
import { audit, create } from "@canopy/sdk";
import { type Filters, useSearchFilters } from "../filters/use-search-filters";

export const AUDIT_FILTER_KEYS = ["customer", "platform", "actor", "action", "resource", "outcome", "from", "to"] as const;
export type AuditFilterKey = (typeof AUDIT_FILTER_KEYS)[number];
/** Every filter, "" when unset; plain strings, so they make a query key as they are. */
export type AuditFilterValues = Filters<AuditFilterKey>;

export const NO_AUDIT_FILTERS: AuditFilterValues = Object.fromEntries(AUDIT_FILTER_KEYS.map((k) => [k, ""])) as AuditFilterValues;

/** The filters in the URL; `keys` are those the page offers (others stay unset whatever the URL says). */
export function useAuditFilters(keys: readonly AuditFilterKey[] = AUDIT_FILTER_KEYS): [AuditFilterValues, (changes: Partial<AuditFilterValues>) => void] {
  const [values, setValues] = useSearchFilters(keys);
  return [{ ...NO_AUDIT_FILTERS, ...values }, setValues];
}

/** Local midnight starting `date` (YYYY-MM-DD), `days` later. */
function midnight(date: string, days = 0): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return undefined;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days);
}

const timestamp = (date: Date | undefined) => (date ? { seconds: BigInt(Math.floor(date.getTime() / 1000)), nanos: 0 } : undefined);

/** What the service is asked for: `from` at the start of its day, `to` up to the end of its day (in the reader's time zone). */
export function toAuditFilter(values: AuditFilterValues): audit.AuditFilter {
  return create(audit.AuditFilterSchema, {
    customerId: values.platform ? "" : values.customer,
    platformOnly: Boolean(values.platform),
    actorId: values.actor,
    action: values.action,
    resourceId: values.resource,
    outcomeCode: values.outcome,
    startTime: timestamp(midnight(values.from)),
    endTime: timestamp(midnight(values.to, 1)),
  });
}

/** Whether any filter is set. */
export const isFiltered = (values: AuditFilterValues) => Object.values(values).some(Boolean);
