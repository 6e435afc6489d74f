//! The customer's policies and the platform's that apply to it (ListPolicies with
//! no customer id: the server answers the caller's own), paged. Owners add their
//! own and delete them after a confirmation; the platform's are read only.
import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, policy } from "@canopy/sdk";
import { Alert, Button, ConfirmDialog, EmptyState, POLICY_PAGE_SIZE, Pager, PolicyTable, Spinner, errorMessage, policyQueries, useDeletePolicy, usePageTokens } from "@canopy/ui";

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
  const remove = useDeletePolicy(client);
  const [confirming, setConfirming] = useState<policy.Policy>();
  const [notice, setNotice] = useState<string>();

  return (
    <div className="flex flex-col gap-3">
      {isOwner && (
        <div>
          <Link to="/policies/new" className="inline-flex min-h-control items-center rounded-brand bg-primary px-4 font-semibold text-on-primary">
            New policy
          </Link>
        </div>
      )}
      {notice && <Alert tone="success">{notice}</Alert>}
      {confirming && (
        <ConfirmDialog
          title={`Delete ${confirming.spec?.name ?? "this policy"}?`}
          body="Your deployments are no longer checked against it."
          confirmLabel="Yes, delete the policy"
          cancelLabel="Keep it"
          busy={remove.isPending}
          error={remove.error ? errorMessage(remove.error) : undefined}
          onConfirm={() =>
            void remove
              .mutateAsync(confirming.id)
              .then(() => {
                setNotice(`${confirming.spec?.name ?? "The policy"} was deleted.`);
                setConfirming(undefined);
              })
              .catch(() => undefined)
          }
          onCancel={() => {
            setConfirming(undefined);
            remove.reset();
          }}
        />
      )}
      {list.isPending ? (
        <Spinner label="Loading policies" />
      ) : list.isError ? (
        <Alert tone="danger">{errorMessage(list.error)}</Alert>
      ) : list.data.policies.length === 0 ? (
        <EmptyState title="No policies" description="A policy checks each deployment's plan before it is applied: where sites may run, how large they may grow, what they must encrypt." />
      ) : (
        <>
          <PolicyTable
            policies={list.data.policies}
            name={(p) => <Link to={`/policies/${p.id}`}>{p.spec?.name}</Link>}
            actions={
              isOwner
                ? (p) =>
                    p.tier === policy.PolicyTier.CUSTOMER ? (
                      <Button
                        variant="secondary"
                        aria-label={`Delete ${p.spec?.name ?? p.id}`}
                        disabled={confirming?.id === p.id}
                        onClick={() => {
                          remove.reset();
                          setNotice(undefined);
                          setConfirming(p);
                        }}
                      >
                        Delete
                      </Button>
                    ) : (
                      <span className="text-sm text-muted">Set by the platform</span>
                    )
                : undefined
            }
          />
          <Pager pages={pages} page={list.data.page} noun={["policy", "policies"]} loading={list.isPlaceholderData} />
        </>
      )}
    </div>
  );
}
