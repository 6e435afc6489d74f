//! `/api-keys`: platform keys, or (`?customer=`) one customer's keys, through the
//! shared ApiKeyManager. ApiKeyService is for platform admins (and owners): an
//! operator is told so instead of getting a refused call.
import { ApiKeyManager, Card, grantableRoles, ROLE, useCanopy, useSearchFilters } from "@canopy/ui";
import { CustomerSelect } from "../../components/customer-select";
import { useCurrentUser } from "../../hooks/use-current-user";

export function ApiKeysRoute() {
  const { client } = useCanopy();
  const role = useCurrentUser().data?.role;
  const [filters, setFilters] = useSearchFilters(["customer"] as const);
  const tenantId = filters.customer;
  return (
    <div className="flex flex-col gap-4">
      <h1 className="m-0">API keys</h1>
      {role !== ROLE.platformAdmin ? (
        <p className="m-0">Only platform admins manage API keys.</p>
      ) : (
        <>
          <div className="max-w-sm">
            <CustomerSelect
              client={client}
              label="Whose keys"
              placeholder="Platform keys"
              value={tenantId}
              onChange={(customer) => setFilters({ customer })}
            />
          </div>
          {!tenantId && (
            <p className="m-0 text-muted">
              New keys made here are platform keys. Without a customer chosen, identity lists every key, customers&apos; included: choose a customer to see only theirs.
            </p>
          )}
          <Card title={tenantId ? "The customer's keys" : "All keys"}>
            <ApiKeyManager key={tenantId} client={client} tenantId={tenantId || undefined} grantableRoles={grantableRoles(role, Boolean(tenantId))} />
          </Card>
        </>
      )}
    </div>
  );
}
