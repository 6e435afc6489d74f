//! A page of policies as both portals list them: each linked to its page, deleted
//! after a confirmation where the reader may, paged.
import type { ReactNode } from "react";
import { Link } from "react-router";
import type { CanopyClient, common, policy } from "@canopy/sdk";
import { DeleteButton, ManagedList } from "../lists/managed-list";
import { useConfirmedDelete } from "../lists/use-confirmed-delete";
import type { PageTokens } from "../paging/use-page-tokens";
import { useDeletePolicy } from "./policy-queries";
import { PolicyTable } from "./policy-table";

export interface ManagedPolicyListProps {
  client: Pick<CanopyClient, "policies">;
  /** The ListPolicies query's state. */
  list: { isPending: boolean; isError: boolean; error: unknown; isPlaceholderData: boolean; data?: { policies: policy.Policy[]; page?: common.PageResponse } };
  pages: PageTokens;
  /** What deleting a policy does, in its confirmation. */
  deleteBody: string;
  /** What an empty list says. */
  empty: { title: string; description: string };
  /** Above the list: filters, "New policy". */
  controls?: ReactNode;
  /** Which policies the reader may delete (the others read "Set by the platform"); no actions when absent. */
  canDelete?: (p: policy.Policy) => boolean;
}

export function ManagedPolicyList({ client, list, pages, deleteBody, empty, controls, canDelete }: ManagedPolicyListProps) {
  const remove = useDeletePolicy(client);
  const deletion = useConfirmedDelete<policy.Policy>({ remove: (p) => remove.mutateAsync(p.id), deleted: (p) => `${p.spec?.name ?? "The policy"} was deleted.` });
  return (
    <ManagedList
      list={list}
      items={list.data?.policies}
      deletion={deletion}
      pages={pages}
      noun={["policy", "policies"]}
      confirmation={(p) => ({ title: `Delete ${p.spec?.name ?? "this policy"}?`, body: deleteBody, confirmLabel: "Yes, delete the policy" })}
      loadingLabel="Loading policies"
      empty={empty}
      controls={controls}
    >
      {(policies) => (
        <PolicyTable
          policies={policies}
          name={(p) => <Link to={`/policies/${p.id}`}>{p.spec?.name}</Link>}
          actions={
            canDelete &&
            ((p) => (canDelete(p) ? <DeleteButton deletion={deletion} item={p} name={p.spec?.name ?? p.id} /> : <span className="text-sm text-muted">Set by the platform</span>))
          }
        />
      )}
    </ManagedList>
  );
}
