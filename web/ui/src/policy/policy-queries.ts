//! Policies, compliance and deployments' policy checks, the same calls in both
//! portals (a customer sends no customer id: the server reads its own; the admin
//! portal sends none for the platform's). Policies under `["policies"]` (pages) and
//! `["policy", …]` (one policy); compliance and violations under `["compliance"]`;
//! checks under `["policy-checks"]`. A changed or deleted policy refreshes the
//! policy pages and compliance; an override or a discard refreshes every check.
import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { type CanopyClient, Code, type policy, toCanopyError } from "@canopy/sdk";

type PoliciesClient = Pick<CanopyClient, "policies">;
type ComplianceClient = Pick<CanopyClient, "compliance">;

export type PolicyListRequest = Parameters<CanopyClient["policies"]["listPolicies"]>[0];
export type ViolationListRequest = Parameters<CanopyClient["compliance"]["listViolations"]>[0];
export type PolicyCheckListRequest = Parameters<CanopyClient["compliance"]["listPolicyChecks"]>[0];
/** What CreatePolicy and UpdatePolicy take as `policy`. */
export type PolicySpecInit = NonNullable<Parameters<CanopyClient["policies"]["createPolicy"]>[0]["policy"]>;
export type ValidatePolicyRequest = Parameters<CanopyClient["policies"]["validatePolicy"]>[0];

export const POLICY_PAGE_SIZE = 20;

export const policyKeys = {
  all: ["policies"] as const,
  lists: () => [...policyKeys.all, "list"] as const,
  list: (request: PolicyListRequest) => [...policyKeys.lists(), request] as const,
  details: () => ["policy"] as const,
  detail: (customerId: string, policyId: string) => [...policyKeys.details(), customerId, policyId] as const,
};

export const complianceKeys = {
  all: ["compliance"] as const,
  summary: (customerId: string, siteId: string) => [...complianceKeys.all, "summary", customerId, siteId] as const,
  violations: (request: ViolationListRequest) => [...complianceKeys.all, "violations", request] as const,
};

export const policyCheckKeys = {
  all: ["policy-checks"] as const,
  lists: () => [...policyCheckKeys.all, "list"] as const,
  list: (request: PolicyCheckListRequest) => [...policyCheckKeys.lists(), request] as const,
  /** A deployment's check, keyed by the deployment's status too: a deployment that moves on is asked again. */
  deployment: (customerId: string, deploymentId: string, status: number) => [...policyCheckKeys.all, "deployment", customerId, deploymentId, status] as const,
};

export const policyQueries = {
  list: (client: PoliciesClient, request: PolicyListRequest) =>
    queryOptions({
      queryKey: policyKeys.list(request),
      queryFn: () => client.policies.listPolicies(request),
      placeholderData: keepPreviousData,
    }),
  detail: (client: PoliciesClient, customerId: string, policyId: string) =>
    queryOptions({
      queryKey: policyKeys.detail(customerId, policyId),
      queryFn: async () => (await client.policies.getPolicy({ customerId, policyId })).policy!,
    }),
};

export const complianceQueries = {
  summary: (client: ComplianceClient, customerId: string, siteId = "") =>
    queryOptions({
      queryKey: complianceKeys.summary(customerId, siteId),
      queryFn: () => client.compliance.getCompliance({ customerId, siteId }),
    }),
  violations: (client: ComplianceClient, request: ViolationListRequest) =>
    queryOptions({
      queryKey: complianceKeys.violations(request),
      queryFn: () => client.compliance.listViolations(request),
      placeholderData: keepPreviousData,
    }),
};

export const policyCheckQueries = {
  list: (client: ComplianceClient, request: PolicyCheckListRequest) =>
    queryOptions({
      queryKey: policyCheckKeys.list(request),
      queryFn: () => client.compliance.listPolicyChecks(request),
      placeholderData: keepPreviousData,
    }),
  /** The deployment's latest check; undefined when it has none (NOT_FOUND: not planned yet, or before policies). */
  deployment: (client: ComplianceClient, customerId: string, deploymentId: string, status: number) =>
    queryOptions({
      queryKey: policyCheckKeys.deployment(customerId, deploymentId, status),
      queryFn: async (): Promise<policy.PolicyCheck | null> => {
        try {
          return (await client.compliance.getPolicyCheck({ customerId, deploymentId })).check ?? null;
        } catch (e) {
          if (toCanopyError(e).code === Code.NotFound) return null;
          throw e;
        }
      },
    }),
};

/** CreatePolicy; the policy pages and compliance are fetched again (not waited for). */
export function useCreatePolicy(client: PoliciesClient, customerId = "") {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (spec: PolicySpecInit) => (await client.policies.createPolicy({ customerId, policy: spec })).policy!,
    onSuccess: (created) => {
      queryClient.setQueryData(policyKeys.detail(customerId, created.id), created);
      void queryClient.invalidateQueries({ queryKey: policyKeys.all });
      void queryClient.invalidateQueries({ queryKey: complianceKeys.all });
    },
  });
}

/** UpdatePolicy from `revision`; the answer replaces the cached policy. */
export function useUpdatePolicy(client: PoliciesClient, customerId = "") {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ policyId, spec, revision }: { policyId: string; spec: PolicySpecInit; revision: bigint }) =>
      (await client.policies.updatePolicy({ customerId, policyId, policy: spec, revision })).policy!,
    onSuccess: (updated) => {
      queryClient.setQueryData(policyKeys.detail(customerId, updated.id), updated);
      void queryClient.invalidateQueries({ queryKey: policyKeys.all });
      void queryClient.invalidateQueries({ queryKey: complianceKeys.all });
    },
  });
}

/** DeletePolicy; settles once the policy pages have been fetched again. */
export function useDeletePolicy(client: PoliciesClient, customerId = "") {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (policyId: string) => client.policies.deletePolicy({ customerId, policyId }),
    onSuccess: (_, policyId) => {
      queryClient.removeQueries({ queryKey: policyKeys.detail(customerId, policyId) });
      void queryClient.invalidateQueries({ queryKey: complianceKeys.all });
      return queryClient.invalidateQueries({ queryKey: policyKeys.all });
    },
  });
}

/** OverridePolicyCheck or DiscardPolicyCheck (both idempotent); every check is fetched again. */
export function useResolvePolicyCheck(client: ComplianceClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ customerId, checkId, to, reason }: { customerId: string; checkId: string; to: "override" | "discard"; reason: string }) =>
      to === "override"
        ? (await client.compliance.overridePolicyCheck({ customerId, checkId, reason })).check
        : (await client.compliance.discardPolicyCheck({ customerId, checkId, reason })).check,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: policyCheckKeys.all }),
  });
}
