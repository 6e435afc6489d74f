import { useParams } from "react-router";
import { useCanopy } from "@canopy/ui";
import { SiteDetail } from "../../features/sites/components/site-detail";
import { useIsPlatformAdmin } from "../../hooks/use-current-user";

export function SiteDetailRoute() {
  const { siteId = "" } = useParams();
  const { client } = useCanopy();
  const admin = useIsPlatformAdmin();
  return <SiteDetail key={siteId} client={client} siteId={siteId} canChange={admin} />;
}
