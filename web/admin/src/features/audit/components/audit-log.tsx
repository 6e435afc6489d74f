//! The audit trail of every chain (ListAuditEvents): a customer's or the
//! platform's, filtered by actor, action, resource, outcome and dates (all in the
//! URL), paged; an export of the same events, verification of the chain chosen
//! (the customer's, else the platform's) and the key that signs its checkpoints.
import { Link } from "react-router";
import type { CanopyClient } from "@canopy/sdk";
import { AuditEventList, AuditExport, AuditFilterBar, AuditVerify, Card, CheckpointKey, useAuditFilters } from "@canopy/ui";
import { CustomerSelect } from "../../../components/customer-select";
import { useCustomerNames } from "../../../hooks/use-customer-names";

export interface AuditLogProps {
  client: Pick<CanopyClient, "audit" | "customers">;
}

function CustomerName({ client, customerId }: { client: Pick<CanopyClient, "customers">; customerId: string }) {
  const name = useCustomerNames(client, [customerId]).get(customerId);
  return <Link to={`/customers/${customerId}`}>{name ?? "Customer"}</Link>;
}

export function AuditLog({ client }: AuditLogProps) {
  const [filters, setFilters] = useAuditFilters();
  const customerId = filters.platform ? "" : filters.customer;
  const customerName = useCustomerNames(client, customerId ? [customerId] : []).get(customerId);
  const chain = customerId ? `${customerName ?? "the customer"}'s chain` : "the platform's chain";
  return (
    <div className="flex flex-col gap-4">
      <Card>
        <AuditFilterBar values={filters} onChange={setFilters}>
          <div className="min-w-60">
            <CustomerSelect client={client} value={filters.customer} placeholder="Platform and all customers" onChange={(customer) => setFilters({ customer, platform: "" })} />
          </div>
          <label className="flex min-h-control items-center gap-2">
            <input
              type="checkbox"
              className="size-4 accent-primary"
              checked={Boolean(filters.platform)}
              onChange={(e) => setFilters({ platform: e.target.checked ? "1" : "", customer: "" })}
            />
            Platform only
          </label>
        </AuditFilterBar>
      </Card>
      <Card title="Events">
        <AuditEventList client={client} filters={filters} customer={(id) => <CustomerName client={client} customerId={id} />} />
      </Card>
      <Card title="Export and verify">
        <div className="flex flex-col gap-5">
          <AuditExport client={client} filters={filters} scope={customerId || (filters.platform ? "platform" : "all")} />
          <div className="flex flex-col gap-2">
            <p className="m-0 text-muted">
              Verification recomputes every entry of {customerId ? "the chosen customer's chain" : "the platform's chain (choose a customer to verify theirs)"} and checks its signed checkpoints.
            </p>
            <AuditVerify client={client} customerId={customerId} chain={chain} />
          </div>
        </div>
      </Card>
      <Card title="Checkpoint key">
        <CheckpointKey client={client} />
      </Card>
    </div>
  );
}
