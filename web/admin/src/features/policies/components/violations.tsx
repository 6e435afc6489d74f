//! Every customer's policy violations (ListViolations): customer, level, site and
//! policy filters in the URL, paging; each names its customer and site and says
//! what the policy denied.
import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import type { CanopyClient } from "@canopy/sdk";
import {
  Alert,
  Button,
  EmptyState,
  LEVEL_FILTERS,
  Pager,
  SelectField,
  Spinner,
  StatusBadge,
  Table,
  TextField,
  complianceQueries,
  enforcementLevel,
  errorMessage,
  formatDateTime,
  levelFromName,
  tierLabel,
  useSearchFilters,
} from "@canopy/ui";
import { CustomerSelect } from "../../../components/customer-select";
import { useCustomerNames } from "../../../hooks/use-customer-names";
import { usePagedList } from "../../../hooks/use-paged-list";

export interface ViolationsProps {
  client: Pick<CanopyClient, "compliance" | "customers">;
}

export function Violations({ client }: ViolationsProps) {
  const [filters, setFilters] = useSearchFilters(["customer", "level", "site", "policy"] as const);
  const request = { customerId: filters.customer, siteId: filters.site, policyId: filters.policy, enforcement: levelFromName(filters.level) };
  const { pages, query: list } = usePagedList(request, (r) => complianceQueries.violations(client, r));
  const names = useCustomerNames(client, list.data?.violations.map((v) => v.customerId) ?? []);
  const [site, setSite] = useState(filters.site);
  const [policyId, setPolicyId] = useState(filters.policy);
  const filtered = Object.values(filters).some(Boolean);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters({ site: site.trim(), policy: policyId.trim() });
  };

  return (
    <div className="flex flex-col gap-3">
      <form role="search" aria-label="Filter violations" className="flex flex-wrap items-end gap-3 max-sm:flex-col max-sm:items-stretch" onSubmit={apply}>
        <div className="min-w-48">
          <CustomerSelect client={client} value={filters.customer} onChange={(customer) => setFilters({ customer })} />
        </div>
        <div className="min-w-40">
          <SelectField label="Level" value={filters.level} options={LEVEL_FILTERS} placeholder="Every level" onChange={(e) => setFilters({ level: e.target.value })} />
        </div>
        <div className="min-w-40">
          <TextField label="Site id" value={site} onChange={(e) => setSite(e.target.value)} />
        </div>
        <div className="min-w-40">
          <TextField label="Policy id" value={policyId} onChange={(e) => setPolicyId(e.target.value)} />
        </div>
        <Button type="submit" variant="secondary">
          Apply
        </Button>
        {filtered && (
          <Button
            variant="secondary"
            onClick={() => {
              setSite("");
              setPolicyId("");
              setFilters({ customer: "", level: "", site: "", policy: "" });
            }}
          >
            Clear filters
          </Button>
        )}
      </form>
      {list.isPending ? (
        <Spinner label="Loading violations" />
      ) : list.isError ? (
        <Alert tone="danger">{errorMessage(list.error)}</Alert>
      ) : list.data.violations.length === 0 ? (
        <EmptyState title={filtered ? "No violations match" : "No violations"} description="Every site passes every policy in its scope, as last evaluated." />
      ) : (
        <>
          <Table aria-label="Violations">
            <thead>
              <tr>
                <th>Policy</th>
                <th>Level</th>
                <th>Customer</th>
                <th>Site</th>
                <th>What it says</th>
                <th>Evaluated</th>
              </tr>
            </thead>
            <tbody>
              {list.data.violations.map((v, i) => {
                const d = v.decision;
                const level = enforcementLevel(d?.enforcement ?? 0);
                return (
                  <tr key={`${v.customerId}-${v.siteId}-${d?.policyId ?? i}`}>
                    <td className="font-semibold">
                      {d?.policyName}
                      <span className="block text-sm font-normal text-muted">{tierLabel(d?.tier ?? 0)} policy</span>
                    </td>
                    <td>
                      <StatusBadge label={level.label} tone={level.tone} />
                    </td>
                    <td>
                      <Link to={`/customers/${v.customerId}`}>{names.get(v.customerId) ?? v.customerId}</Link>
                    </td>
                    <td>
                      <Link to={`/sites/${v.siteId}`}>{v.siteId}</Link>
                    </td>
                    <td>
                      <ul className="m-0 pl-5">
                        {d?.deny.map((m, j) => (
                          <li key={`d${j}`}>{m}</li>
                        ))}
                        {d?.error && <li>Evaluation error: {d.error}</li>}
                      </ul>
                    </td>
                    <td>{formatDateTime(v.evaluateTime)}</td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
          <Pager pages={pages} page={list.data.page} noun={["violation", "violations"]} loading={list.isPlaceholderData} />
        </>
      )}
    </div>
  );
}
