import { tenancy } from "@canopy/sdk";
import type { StatusTone } from "@canopy/ui";

const STATUS: Record<tenancy.CustomerStatus, [string, StatusTone]> = {
  [tenancy.CustomerStatus.UNSPECIFIED]: ["Unknown", "neutral"],
  [tenancy.CustomerStatus.CREATING]: ["Creating", "progress"],
  [tenancy.CustomerStatus.ACTIVE]: ["Active", "success"],
  [tenancy.CustomerStatus.SUSPENDED]: ["Suspended", "warning"],
  [tenancy.CustomerStatus.DEACTIVATED]: ["Deactivated", "neutral"],
};

export function customerStatus(status: tenancy.CustomerStatus): { label: string; tone: StatusTone } {
  const [label, tone] = STATUS[status] ?? STATUS[tenancy.CustomerStatus.UNSPECIFIED];
  return { label, tone };
}

/** The statuses a list can be filtered by, with their `?status=` names. */
export const STATUS_FILTERS: { name: string; status: tenancy.CustomerStatus; label: string }[] = [
  tenancy.CustomerStatus.ACTIVE,
  tenancy.CustomerStatus.SUSPENDED,
  tenancy.CustomerStatus.DEACTIVATED,
  tenancy.CustomerStatus.CREATING,
].map((status) => ({ name: customerStatus(status).label.toLowerCase(), status, label: customerStatus(status).label }));

/** `?status=active` → ACTIVE; anything else → UNSPECIFIED (no filter). */
export function statusFromName(name: string): tenancy.CustomerStatus {
  return STATUS_FILTERS.find((f) => f.name === name)?.status ?? tenancy.CustomerStatus.UNSPECIFIED;
}
