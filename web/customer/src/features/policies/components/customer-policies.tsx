//! The customer's policies and the platform's that apply to it (ListPolicies with
//! no customer id: the server answers the caller's own), paged. Owners add their
//! own and delete them after a confirmation; the platform's are read only.
import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, policy } from "@canopy/sdk";
import { ManagedPolicyList, POLICY_PAGE_SIZE, policyQueries, usePageTokens } from "@canopy/ui";

export interface CustomerPoliciesProps {
  client: Pick<CanopyClient, "policies">;
  /** Owners create, edit and delete the customer's own policies. */
  isOwner: boolean;
}

export function CustomerPolicies({ client, isOwner }: CustomerPoliciesProps) {
  const pages = usePageTokens("");
  const list = useQuery(
    policyQueries.list(client, {
      customerId: "",
      tier: policy.PolicyTier.UNSPECIFIED,
      kind: policy.PolicyKind.UNSPECIFIED,
      enforcement: policy.EnforcementLevel.UNSPECIFIED,
      page: { pageSize: POLICY_PAGE_SIZE, pageToken: pages.pageToken },
    }),
  );

  return (
    <ManagedPolicyList
      client={client}
      list={list}
      pages={pages}
      deleteBody="Your deployments are no longer checked against it."
      empty={{ title: "No policies", description: "A policy checks each deployment's plan before it is applied: where sites may run, how large they may grow, what they must encrypt." }}
      canDelete={isOwner ? (p) => p.tier === policy.PolicyTier.CUSTOMER : undefined}
      controls={
        isOwner && (
          <div>
            <Link to="/policies/new" className="inline-flex min-h-control items-center rounded-brand bg-primary px-4 font-semibold text-on-primary">
              New policy
            </Link>
          </div>
        )
      }
    />
  );
}
