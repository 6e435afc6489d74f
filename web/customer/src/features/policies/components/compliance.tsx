//! Which of the customer's sites pass every policy in their scope (GetCompliance),
//! each with every policy's decision on its latest evaluated plan.
import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { Alert, Card, EmptyState, PolicyDecisions, Spinner, StatusBadge, complianceQueries, errorMessage, formatDateTime } from "@canopy/ui";

export function Compliance({ client }: { client: Pick<CanopyClient, "compliance"> }) {
  const query = useQuery(complianceQueries.summary(client, ""));
  if (query.isPending) return <Spinner label="Loading compliance" />;
  if (query.isError) return <Alert tone="danger">{errorMessage(query.error)}</Alert>;
  const { sites, compliantSites, nonCompliantSites } = query.data;
  if (sites.length === 0) return <EmptyState title="Nothing evaluated yet" description="A site is evaluated once a deployment's plan has been checked." />;
  return (
    <div className="flex flex-col gap-4">
      <p className="m-0" role="status">
        {compliantSites} compliant, {nonCompliantSites} not compliant.
      </p>
      {sites.map((site) => (
        <Card
          key={site.siteId}
          aria-label={`Site ${site.siteId}`}
          title={<Link to={`/sites/${site.siteId}`}>Site {site.siteId}</Link>}
          actions={<StatusBadge label={site.compliant ? "Compliant" : "Not compliant"} tone={site.compliant ? "success" : "danger"} />}
        >
          <p className="m-0 mb-3 text-sm text-muted">Evaluated {formatDateTime(site.evaluateTime)}</p>
          <PolicyDecisions decisions={site.decisions} label={`Decisions on site ${site.siteId}`} />
        </Card>
      ))}
    </div>
  );
}
