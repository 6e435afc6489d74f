//! The customer's own audit trail (owners): who changed what and how it ended,
//! filtered by action, actor, outcome and dates (in the URL), paged; an export of
//! the same events and verification of the customer's chain.
import type { CanopyClient } from "@canopy/sdk";
import { type AuditFilterKey, AuditEventList, AuditExport, AuditFilterBar, AuditVerify, Card, CheckpointKey, useAuditFilters } from "@canopy/ui";

/** An owner reads only their own customer's chain: no customer or platform filter. */
const FILTERS: readonly AuditFilterKey[] = ["actor", "action", "outcome", "from", "to"];

export function ActivityLog({ client }: { client: Pick<CanopyClient, "audit"> }) {
  const [filters, setFilters] = useAuditFilters(FILTERS);
  return (
    <div className="flex flex-col gap-4">
      <Card>
        <AuditFilterBar values={filters} onChange={setFilters} resource={false} />
      </Card>
      <Card title="Events">
        <AuditEventList client={client} filters={filters} />
      </Card>
      <Card title="Export and verify">
        <div className="flex flex-col gap-5">
          <AuditExport client={client} filters={filters} scope="activity" />
          <div className="flex flex-col gap-2">
            <p className="m-0 text-muted">Verification recomputes every entry of your activity's hash chain and checks its signed checkpoints, so a changed or removed entry shows.</p>
            <AuditVerify client={client} customerId="" chain="your activity" />
          </div>
        </div>
      </Card>
      <Card title="Checkpoint key">
        <CheckpointKey client={client} />
      </Card>
    </div>
  );
}
