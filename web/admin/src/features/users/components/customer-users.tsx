//! A customer's users (ListUsers with its tenant id), a short table on the
//! customer page; the users page does the rest.
import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { Alert, EmptyState, Spinner, StatusBadge, Table, errorMessage, roleLabel } from "@canopy/ui";
import { userQueries } from "../api/users";
import { userStatus } from "../user-status";

const SHOWN = 10;

export function CustomerUsers({ client, customerId }: { client: Pick<CanopyClient, "users">; customerId: string }) {
  const users = useQuery(userQueries.list(client, { tenantId: customerId, page: { pageSize: SHOWN } }));
  if (users.isPending) return <Spinner label="Loading users" />;
  if (users.isError) return <Alert tone="danger">{errorMessage(users.error)}</Alert>;
  if (users.data.users.length === 0) return <EmptyState title="No users" description="The owner invitation creates the first one." />;
  const total = users.data.page?.totalSize ?? -1n;
  return (
    <div className="flex flex-col gap-3">
      <Table aria-label="Customer users">
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Role</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {users.data.users.map((u) => {
            const status = userStatus(u.status);
            return (
              <tr key={u.id}>
                <td>
                  <Link to={`/users?customer=${customerId}&q=${encodeURIComponent(u.email)}`}>{u.email}</Link>
                </td>
                <td>{u.displayName}</td>
                <td>{roleLabel(u.role)}</td>
                <td>
                  <StatusBadge label={status.label} tone={status.tone} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </Table>
      <Link to={`/users?customer=${customerId}`}>{total > BigInt(SHOWN) ? `All ${total} users` : "Manage these users"}</Link>
    </div>
  );
}
