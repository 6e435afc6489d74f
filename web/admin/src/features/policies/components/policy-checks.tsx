//! Deployments' policy checks across customers (ListPolicyChecks), the runs
//! awaiting an override first (`?state=`, `any` for every state), with a customer
//! filter; a waiting run is overridden (with a reason) or discarded from its row.
import { Link } from "react-router";
import type { CanopyClient } from "@canopy/sdk";
import {
  Alert,
  CHECK_STATE_FILTERS,
  EmptyState,
  Pager,
  PolicyCheckActions,
  PolicyDecisions,
  SelectField,
  Spinner,
  StatusBadge,
  Table,
  checkState,
  checkStateFromName,
  decisionFails,
  errorMessage,
  formatDateTime,
  policyCheckQueries,
  useSearchFilters,
} from "@canopy/ui";
import { CustomerSelect } from "../../../components/customer-select";
import { useCustomerNames } from "../../../hooks/use-customer-names";
import { usePagedList } from "../../../hooks/use-paged-list";

export interface PolicyChecksProps {
  client: Pick<CanopyClient, "compliance" | "customers">;
  /** Platform admins override and discard; operators read. */
  canChange: boolean;
}

export function PolicyChecks({ client, canChange }: PolicyChecksProps) {
  const [filters, setFilters] = useSearchFilters(["state", "customer"] as const);
  const request = { customerId: filters.customer, state: checkStateFromName(filters.state), siteId: "" };
  const { pages, query: list } = usePagedList(request, (r) => policyCheckQueries.list(client, r));
  const names = useCustomerNames(client, list.data?.checks.map((c) => c.customerId) ?? []);

  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-48">
          <SelectField label="State" value={filters.state} options={CHECK_STATE_FILTERS} onChange={(e) => setFilters({ state: e.target.value })} />
        </div>
        <div className="min-w-48">
          <CustomerSelect client={client} value={filters.customer} onChange={(customer) => setFilters({ customer })} />
        </div>
      </div>
      {list.isPending ? (
        <Spinner label="Loading policy checks" />
      ) : list.isError ? (
        <Alert tone="danger">{errorMessage(list.error)}</Alert>
      ) : list.data.checks.length === 0 ? (
        <EmptyState
          title={filters.state === "" ? "No runs are awaiting an override" : "No policy checks match"}
          description="A deployment whose plan fails a soft-mandatory policy waits here until it is overridden or discarded."
        />
      ) : (
        <>
          <Table aria-label="Policy checks">
            <thead>
              <tr>
                <th>Deployment</th>
                <th>Customer</th>
                <th>State</th>
                <th>Failing policies</th>
                <th>Checked</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.checks.map((check) => {
                const failing = check.decisions.filter(decisionFails);
                return (
                  <tr key={check.id}>
                    <td>
                      <Link to={`/sites/${check.siteId}`}>Site {check.siteId}</Link>
                      <span className="block font-mono text-sm text-muted">{check.deploymentId}</span>
                    </td>
                    <td>
                      <Link to={`/customers/${check.customerId}`}>{names.get(check.customerId) ?? check.customerId}</Link>
                    </td>
                    <td>
                      <StatusBadge {...checkState(check.state)} />
                      {check.expireTime && <span className="block text-sm text-muted">Until {formatDateTime(check.expireTime)}</span>}
                      {check.resolutionReason && <span className="block text-sm">“{check.resolutionReason}”</span>}
                    </td>
                    <td>
                      <PolicyDecisions decisions={failing} label={`Failing policies of deployment ${check.deploymentId}`} empty="None." />
                    </td>
                    <td>{formatDateTime(check.createTime)}</td>
                    <td>
                      {canChange && (
                        <PolicyCheckActions client={client} check={check} customerId={check.customerId} canDiscard what={`deployment ${check.deploymentId}`} />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
          <Pager pages={pages} page={list.data.page} noun={["check", "checks"]} loading={list.isPlaceholderData} />
        </>
      )}
    </div>
  );
}
