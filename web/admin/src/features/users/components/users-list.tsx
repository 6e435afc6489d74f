//! Users of the platform and of every customer (ListUsers) with search, role,
//! status and customer filters (in the URL: `?q=`, `?role=`, `?status=`,
//! `?customer=`) and paging; platform admins manage each user from its row.
import { Fragment, useState } from "react";
import { Link } from "react-router";
import type { CanopyClient, identity } from "@canopy/sdk";
import { Table, Pager, Alert, Button, Card, FilterBar, formatDateTime, EmptyState, roleLabel, errorMessage, SelectField, Spinner, StatusBadge, useSearchFilters, UrlText } from "@canopy/ui";
import { CustomerSelect } from "../../../components/customer-select";
import { useCustomerNames } from "../../../hooks/use-customer-names";
import { usePagedList } from "../../../hooks/use-paged-list";
import { CUSTOMER_ROLES, PLATFORM_ROLES, roleFromName, roleName } from "../../../lib/roles";
import { userQueries } from "../api/users";
import { USER_STATUS_FILTERS, lockedUntil, userStatus, userStatusFromName } from "../user-status";
import { UserActions } from "./user-actions";

const FILTERS = ["q", "role", "status", "customer"] as const;

export interface UsersListProps {
  client: Pick<CanopyClient, "users" | "customers">;
  /** Platform admins manage users; operators only list them. */
  canChange: boolean;
  /** The signed-in user, who cannot manage their own account here. */
  currentUserId?: string;
}

export function UsersList({ client, canChange, currentUserId }: UsersListProps) {
  const [filters, setFilters] = useSearchFilters(FILTERS);
  const [managing, setManaging] = useState<string>();
  const request = { search: filters.q, role: roleFromName(filters.role), status: userStatusFromName(filters.status), tenantId: filters.customer };
  const filtered = Object.values(filters).some(Boolean);
  const { pages, query: list } = usePagedList(request, (r) => userQueries.list(client, r));
  const names = useCustomerNames(client, list.data?.users.map((u) => u.tenantId) ?? []);

  return (
    <div className="flex flex-col gap-4">
      <FilterBar
        label="Filter users"
        searchLabel="Search users"
        searchPlaceholder="Email or name"
        search={filters.q}
        onSearch={(q) => setFilters({ q })}
        filtered={filtered}
        onClear={() => setFilters({ q: "", role: "", status: "", customer: "" })}
      >
        <SelectField
          label="Role"
          value={filters.role}
          placeholder="All roles"
          options={[...PLATFORM_ROLES, ...CUSTOMER_ROLES].map((r) => ({ value: roleName(r), label: roleLabel(r) }))}
          onChange={(e) => setFilters({ role: e.target.value })}
        />
        <SelectField
          label="Status"
          value={filters.status}
          placeholder="All statuses"
          options={USER_STATUS_FILTERS.map((f) => ({ value: f.name, label: f.label }))}
          onChange={(e) => setFilters({ status: e.target.value })}
        />
        <CustomerSelect client={client} value={filters.customer} placeholder="Platform and all customers" onChange={(customer) => setFilters({ customer })} />
      </FilterBar>
      <Card>
        {list.isPending ? (
          <Spinner label="Loading users" />
        ) : list.isError ? (
          <Alert tone="danger">{errorMessage(list.error)}</Alert>
        ) : list.data.users.length === 0 ? (
          <EmptyState title={filtered ? "No users match" : "No users yet"} description={filtered ? "Try another search or other filters." : undefined} />
        ) : (
          <>
            <Table aria-label="Users">
              <thead>
                <tr>
                  <th>User</th>
                  <th>Customer</th>
                  <th>Role</th>
                  <th>Status</th>
                  <th>Last sign-in</th>
                  {canChange && <th>Actions</th>}
                </tr>
              </thead>
              <tbody>
                {list.data.users.map((u) => {
                  const status = userStatus(u.status);
                  const locked = lockedUntil(u);
                  const own = u.id === currentUserId;
                  return (
                    <Fragment key={u.id}>
                      <tr>
                        <td>
                          <strong className="block break-words">
                            <UrlText text={u.email} />
                          </strong>
                          <span className="text-muted">{u.displayName}</span>
                        </td>
                        <td>{u.tenantId ? <Link to={`/customers/${u.tenantId}`}>{names.get(u.tenantId) ?? "Customer"}</Link> : "Platform"}</td>
                        <td>{roleLabel(u.role)}</td>
                        <td>
                          <span className="flex flex-wrap gap-1">
                            <StatusBadge label={status.label} tone={status.tone} />
                            {locked && <StatusBadge label={`Locked until ${locked.toLocaleTimeString()}`} tone="warning" />}
                            {u.mfaEnabled && <StatusBadge label="MFA" tone="neutral" />}
                          </span>
                        </td>
                        <td>
                          {u.lastLoginTime ? formatDateTime(u.lastLoginTime) : "Never"}
                        </td>
                        {canChange && (
                          <td>
                            {own ? (
                              <span className="text-muted">You</span>
                            ) : (
                              <Button variant="secondary" aria-expanded={managing === u.id} aria-label={`Manage ${u.email}`} onClick={() => setManaging(managing === u.id ? undefined : u.id)}>
                                {managing === u.id ? "Close" : "Manage"}
                              </Button>
                            )}
                          </td>
                        )}
                      </tr>
                      {canChange && managing === u.id && !own && (
                        <tr>
                          <td colSpan={6}>
                            <UserActions client={client} user={u} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  );
                })}
              </tbody>
            </Table>
            <Pager pages={pages} page={list.data.page} noun={["user", "users"]} loading={list.isPlaceholderData} />
          </>
        )}
      </Card>
    </div>
  );
}
