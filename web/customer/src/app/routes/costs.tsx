//! `/sites/:siteId/costs` (a site's costs: layers, daily trend, resource types,
//! the estimate and its accuracy) and `/budgets` (everyone reads them; owners
//! create, edit and delete, as BudgetService lets owners alone change them).
import { Link, useParams } from "react-router";
import { Alert, ROLE, SectionPage, SiteTitle, Spinner, errorMessage, useCanopy, useSite } from "@canopy/ui";
import { Budgets } from "../../features/budgets/components/budgets";
import { SiteCosts } from "../../features/costs/components/site-costs";
import { useCurrentUser } from "../layout";

export function SiteCostsRoute() {
  const { siteId = "" } = useParams();
  const { client } = useCanopy();
  const site = useSite(client, siteId);
  return (
    <div className="flex flex-col gap-4">
      <Link to={`/sites/${siteId}`}>← Back to the site</Link>
      {site.isPending ? <Spinner label="Loading site" /> : site.isError ? <Alert tone="danger">{errorMessage(site.error)}</Alert> : <SiteTitle site={site.data} />}
      <nav aria-label="Site pages" className="flex flex-wrap gap-x-4 border-b border-line pb-2">
        <Link to={`/sites/${siteId}`} className="font-semibold">
          Overview
        </Link>
        <Link to={`/sites/${siteId}/costs`} aria-current="page" className="font-semibold underline underline-offset-4">
          Costs
        </Link>
      </nav>
      <h2 className="m-0 text-xl">Costs</h2>
      <SiteCosts client={client} siteId={siteId} />
    </div>
  );
}

export function BudgetsRoute() {
  const { client } = useCanopy();
  const isOwner = useCurrentUser().data?.role === ROLE.owner;
  return (
    <SectionPage title="Budgets" intro="Monthly budgets for all your sites or one of them: each threshold alerts once a month, on the cost so far or on the forecast.">
      <Budgets client={client} isOwner={isOwner} />
    </SectionPage>
  );
}
