import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Alert, Button, Card, EmptyState, Pager, Spinner, StatusBadge, TextField, errorMessage, useCanopy, usePageTokens, Table } from "@canopy/ui";
import { customerStatus } from "../../features/customers/customer-status";

const PAGE_SIZE = 20;

export function CustomersRoute() {
  const { client } = useCanopy();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [search, setSearch] = useState("");
  const [applied, setApplied] = useState("");
  const pages = usePageTokens(applied);
  const pageToken = pages.pageToken;
  const list = useQuery({
    queryKey: ["customers", applied, pageToken],
    queryFn: () => client.customers.listCustomers({ search: applied, page: { pageSize: PAGE_SIZE, pageToken } }),
    placeholderData: keepPreviousData,
  });
  const created = params.get("created");

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-3 justify-between">
        <h1 className="m-0">Customers</h1>
        <Button onClick={() => navigate("/customers/new")}>New customer</Button>
      </div>
      {created && <Alert tone="success">{created} was created and its owner was invited by email.</Alert>}
      <form
        role="search"
        className="flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(search.trim());
        }}
      >
        <div className="min-w-50 flex-1">
          <TextField label="Search customers" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <Button type="submit" variant="secondary">
          Search
        </Button>
      </form>
      <Card>
        {list.isPending ? (
          <Spinner label="Loading customers" />
        ) : list.isError ? (
          <Alert tone="danger">{errorMessage(list.error)}</Alert>
        ) : list.data.customers.length === 0 ? (
          <EmptyState title={applied ? "No customers match" : "No customers yet"} description={applied ? "Try another search." : "Create the first customer and invite its owner."} />
        ) : (
          <>
            <Table aria-label="Customers">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th>Plan</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {list.data.customers.map((c) => {
                  const status = customerStatus(c.status);
                  return (
                    <tr key={c.id}>
                      <td>
                        <Link to={`/customers/${c.id}`}>{c.name}</Link>
                      </td>
                      <td>
                        <StatusBadge label={status.label} tone={status.tone} />
                      </td>
                      <td>{c.planId || "—"}</td>
                      <td>{c.createTime ? new Date(Number(c.createTime.seconds) * 1000).toLocaleDateString() : "—"}</td>
                    </tr>
                  );
                })}
              </tbody>
            </Table>
            <Pager pages={pages} page={list.data.page} noun={["customer", "customers"]} loading={list.isPlaceholderData} />
          </>
        )}
      </Card>
    </div>
  );
}
