//! The platform's policies: kind and level filters in the URL, paging, each linked
//! to its page; for platform admins "New policy" and delete after a confirmation.
import { Link } from "react-router";
import { type CanopyClient, policy } from "@canopy/sdk";
import { KIND_FILTERS, LEVEL_FILTERS, ManagedPolicyList, SelectField, kindFromName, levelFromName, policyQueries, useSearchFilters } from "@canopy/ui";
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
  const filtered = Boolean(filters.kind || filters.level);

  return (
    <ManagedPolicyList
      client={client}
      list={list}
      pages={pages}
      deleteBody="Deployments are no longer checked against it, and its compliance results go with it."
      empty={{
        title: filtered ? "No policies match" : "No policies",
        description: "A platform policy checks every customer's deployments in its scope before their plans are applied.",
      }}
      canDelete={canChange ? () => true : undefined}
      controls={
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
      }
    />
  );
}
