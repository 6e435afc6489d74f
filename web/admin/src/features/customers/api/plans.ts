//! The plans (PlanService.ListPlans), for plan pickers and names; they rarely change.
import { queryOptions, useQuery } from "@tanstack/react-query";
import type { CanopyClient, tenancy } from "@canopy/sdk";

export const planKeys = {
  all: ["plans"] as const,
};

export const planQueries = {
  list: (client: Pick<CanopyClient, "plans">) =>
    queryOptions({
      queryKey: planKeys.all,
      queryFn: async () => (await client.plans.listPlans({})).plans,
      staleTime: 5 * 60_000,
    }),
};

export function usePlans(client: Pick<CanopyClient, "plans">) {
  return useQuery(planQueries.list(client));
}

/** "Pro (pro)": the name people know and the id the API takes. */
export function planLabel(plan: tenancy.Plan): string {
  return plan.displayName ? `${plan.displayName} (${plan.planId})` : plan.planId;
}
