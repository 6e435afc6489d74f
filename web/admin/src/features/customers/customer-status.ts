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
