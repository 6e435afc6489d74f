//! Escalation policies' cache: ListEscalationPolicies pages (and every policy for
//! the receiver form's choice); creating or deleting one refreshes them all.
import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";

type EscalationClient = Pick<CanopyClient, "escalationPolicies">;
type EscalationPolicyInit = NonNullable<Parameters<CanopyClient["escalationPolicies"]["createEscalationPolicy"]>[0]["escalationPolicy"]>;

export const ESCALATION_PAGE_SIZE = 20;
/** The most policies offered as a receiver's choice (one page). */
export const MAX_POLICY_CHOICES = 100;

export const escalationKeys = {
  all: ["escalation-policies"] as const,
  lists: () => [...escalationKeys.all, "list"] as const,
  list: (pageToken: string, pageSize = ESCALATION_PAGE_SIZE) => [...escalationKeys.lists(), pageSize, pageToken] as const,
};

export const escalationQueries = {
  /** One page of policies, by name. */
  list: (client: EscalationClient, pageToken: string, pageSize = ESCALATION_PAGE_SIZE) =>
    queryOptions({
      queryKey: escalationKeys.list(pageToken, pageSize),
      queryFn: () => client.escalationPolicies.listEscalationPolicies({ page: { pageSize, pageToken } }),
      placeholderData: keepPreviousData,
    }),
};

/** CreateEscalationPolicy; every page is fetched again (not waited for). */
export function useCreateEscalationPolicy(client: EscalationClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (escalationPolicy: EscalationPolicyInit) => client.escalationPolicies.createEscalationPolicy({ escalationPolicy }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: escalationKeys.all });
    },
  });
}

/** DeleteEscalationPolicy; settles once every page has been fetched again. */
export function useDeleteEscalationPolicy(client: EscalationClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (escalationPolicyId: string) => client.escalationPolicies.deleteEscalationPolicy({ escalationPolicyId }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: escalationKeys.all }),
  });
}
