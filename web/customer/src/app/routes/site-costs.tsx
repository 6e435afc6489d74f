//! `/sites/:siteId/costs`: a site's costs — layers, daily trend, resource types,
//! the estimate and its accuracy —, under the site's title and its pages' nav.
import { Link, useParams } from "react-router";
import { Alert, SiteTitle, Spinner, errorMessage, useCanopy, useSite } from "@canopy/ui";
import { SitePagesNav } from "../../components/site-pages-nav";
import { SiteCosts } from "../../features/costs/components/site-costs";

export function SiteCostsRoute() {
  const { siteId = "" } = useParams();
  const { client } = useCanopy();
  const site = useSite(client, siteId);
  return (
    <div className="flex flex-col gap-4">
      <Link to={`/sites/${siteId}`}>← Back to the site</Link>
      {site.isPending ? <Spinner label="Loading site" /> : site.isError ? <Alert tone="danger">{errorMessage(site.error)}</Alert> : <SiteTitle site={site.data} />}
      <SitePagesNav siteId={siteId} current="costs" />
      <h2 className="m-0 text-xl">Costs</h2>
      <SiteCosts client={client} siteId={siteId} />
    </div>
  );
}
