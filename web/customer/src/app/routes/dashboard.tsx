import { Link, useNavigate } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { Alert, Button, Card, EmptyState, Spinner, StatusBadge, Table, errorMessage, isSettling, siteStatus, useCanopy } from "@canopy/ui";

export function DashboardRoute() {
  const { client } = useCanopy();
  const navigate = useNavigate();
  const list = useQuery({
    queryKey: ["sites"],
    queryFn: () => client.sites.listSites({ page: { pageSize: 50 } }),
    // Sites being provisioned or deleted change on their own: keep the list current.
    refetchInterval: (query) => (query.state.data?.sites.some((s) => isSettling(s.status)) ? 3_000 : false),
  });
  const newSite = (
    <Button onClick={() => navigate("/sites/new")}>New site</Button>
  );
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-3 justify-between">
        <h1 className="m-0">Your sites</h1>
        {newSite}
      </div>
      <Card>
        {list.isPending ? (
          <Spinner label="Loading sites" />
        ) : list.isError ? (
          <Alert tone="danger">{errorMessage(list.error)}</Alert>
        ) : list.data.sites.length === 0 ? (
          <EmptyState title="No sites yet" description="Create your first site: pick a cloud, a region and a container image." action={newSite} />
        ) : (
          <Table aria-label="Sites">
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Region</th>
                <th>Address</th>
              </tr>
            </thead>
            <tbody>
              {list.data.sites.map((site) => {
                const status = siteStatus(site.status);
                return (
                  <tr key={site.id}>
                    <td>
                      <Link to={`/sites/${site.id}`}>{site.name}</Link>
                    </td>
                    <td>
                      <StatusBadge label={status.label} tone={status.tone} />
                    </td>
                    <td>{site.region}</td>
                    <td>{site.outputs?.url || "—"}</td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        )}
      </Card>
    </div>
  );
}
