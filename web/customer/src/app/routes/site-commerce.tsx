//! `/sites/:siteId/commerce`: the site's store connections (Shopify, WooCommerce,
//! BigCommerce) and their health, under the site's title and its pages' nav. Owners
//! and members connect and change them; viewers read (IntegrationService's roles).
import { Link, useParams } from "react-router";
import { Alert, ROLE, SiteTitle, Spinner, errorMessage, useCanopy, useSite } from "@canopy/ui";
import { SitePagesNav } from "../../components/site-pages-nav";
import { SiteIntegrations } from "../../features/commerce/components/site-integrations";
import { useCurrentUser } from "../layout";

export function SiteCommerceRoute() {
  const { siteId = "" } = useParams();
  const { client } = useCanopy();
  const site = useSite(client, siteId);
  const role = useCurrentUser().data?.role;
  return (
    <div className="flex flex-col gap-4">
      <Link to={`/sites/${siteId}`}>← Back to the site</Link>
      {site.isPending ? <Spinner label="Loading site" /> : site.isError ? <Alert tone="danger">{errorMessage(site.error)}</Alert> : <SiteTitle site={site.data} />}
      <SitePagesNav siteId={siteId} current="commerce" />
      <h2 className="m-0 text-xl">E-commerce</h2>
      <p className="m-0 text-muted">The stores this site sells from. Credentials are checked with the store before they are saved, stored encrypted and never shown again; each store is checked on a schedule.</p>
      <SiteIntegrations client={client} siteId={siteId} canChange={role === ROLE.owner || role === ROLE.member} />
    </div>
  );
}
