import type { sites } from "@canopy/sdk";
import { StatusBadge } from "../components/status-badge";
import { siteStatus } from "./site-status";

/** A site page's heading: its name, its status in words, and whether it is a sandbox. */
export function SiteTitle({ site }: { site: sites.Site }) {
  const status = siteStatus(site.status);
  return (
    <div className="flex flex-wrap items-center gap-3">
      <h1 className="m-0">{site.name}</h1>
      <StatusBadge label={status.label} tone={status.tone} />
      {site.sandbox && <StatusBadge label="Sandbox" tone="neutral" />}
    </div>
  );
}
