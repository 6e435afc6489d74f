import { useCanopy } from "@canopy/ui";
import { SitesList } from "../../features/sites/components/sites-list";

export function SitesRoute() {
  const { client } = useCanopy();
  return (
    <div className="flex flex-col gap-4">
      <h1 className="m-0">Sites</h1>
      <SitesList client={client} />
    </div>
  );
}
