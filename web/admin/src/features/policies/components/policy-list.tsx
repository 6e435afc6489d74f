//! The platform's policies: kind and level filters in the URL, paging, each linked
//! to its page; for platform admins "New policy" and delete after a confirmation.
import { useState } from "react";
import { Link } from "react-router";
import { type CanopyClient, policy } from "@canopy/sdk";
import {
  Alert,
  Button,
  ConfirmDialog,
  EmptyState,
  KIND_FILTERS,
  LEVEL_FILTERS,
  Pager,
  PolicyTable,
  SelectField,
  Spinner,
  errorMessage,
  kindFromName,
  levelFromName,
  policyQueries,
  useDeletePolicy,
  useSearchFilters,
} from "@canopy/ui";
import { usePagedList } from "../../../hooks/use-paged-list";

export interface PolicyListProps {
  client: Pick<CanopyClient, "policies">;
  /** Platform admins create, edit and delete; operators read. */
  canChange: boolean;
}

export function PolicyList({ client, canChange }: PolicyListProps) {
  const [filters, setFilters] = useSearchFilters(["kind", "level"] as const);
  const request = { customerId: "", tier: policy.PolicyTier.UNSPECIFIED, kind: kindFromName(filters.kind), enforcement: levelFromName(filters.level) };
  const { pages, query: list } = usePagedList(request, (r) => policyQueries.list(client, r));
  const remove = useDeletePolicy(client);
  const [confirming, setConfirming] = useState<policy.Policy>();
  const [notice, setNotice] = useState<string>();
  const filtered = Boolean(filters.kind || filters.level);

  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-48">
          <SelectField label="Kind" value={filters.kind} options={KIND_FILTERS} placeholder="Every kind" onChange={(e) => setFilters({ kind: e.target.value })} />
        </div>
        <div className="min-w-48">
          <SelectField label="Level" value={filters.level} options={LEVEL_FILTERS} placeholder="Every level" onChange={(e) => setFilters({ level: e.target.value })} />
        </div>
        {canChange && (
          <Link to="/policies/new" className="ml-auto inline-flex min-h-control items-center rounded-brand bg-primary px-4 font-semibold text-on-primary">
            New policy
          </Link>
        )}
      </div>
      {notice && <Alert tone="success">{notice}</Alert>}
      {confirming && (
        <ConfirmDialog
          title={`Delete ${confirming.spec?.name ?? "this policy"}?`}
          body="Deployments are no longer checked against it, and its compliance results go with it."
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
        <EmptyState
          title={filtered ? "No policies match" : "No policies"}
          description="A platform policy checks every customer's deployments in its scope before their plans are applied."
        />
      ) : (
        <>
          <PolicyTable
            policies={list.data.policies}
            name={(p) => <Link to={`/policies/${p.id}`}>{p.spec?.name}</Link>}
            actions={
              canChange
                ? (p) => (
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
