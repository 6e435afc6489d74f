import { Link, useNavigate } from "react-router";
import { Button, Card, MonthCost, useCanopy } from "@canopy/ui";
import { FleetSummary } from "../../features/sites/components/fleet-summary";
import { SiteList } from "../../features/sites/components/site-list";

export function DashboardRoute() {
  const { client } = useCanopy();
  const navigate = useNavigate();
  const newSite = <Button onClick={() => navigate("/sites/new")}>New site</Button>;
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="m-0">Your sites</h1>
        {newSite}
      </div>
      <FleetSummary client={client} />
      <Card title="Costs this month" actions={<Link to="/budgets">Budgets</Link>}>
        <MonthCost client={client} />
      </Card>
      <Card>
        <SiteList client={client} newSite={newSite} />
      </Card>
    </div>
  );
}
