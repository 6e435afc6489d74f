//! The plans (PlanService.ListPlans), for plan pickers and names; they rarely change.
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient, tenancy } from "@canopy/sdk";

export function usePlans(client: Pick<CanopyClient, "plans">) {
  return useQuery({
    queryKey: ["plans"],
    queryFn: async () => (await client.plans.listPlans({})).plans,
    staleTime: 5 * 60_000,
  });
}

/** "Pro (pro)": the name people know and the id the API takes. */
export function planLabel(plan: tenancy.Plan): string {
  return plan.displayName ? `${plan.displayName} (${plan.planId})` : plan.planId;
}
