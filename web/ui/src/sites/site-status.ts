//! Site and deployment statuses in words and tones, what a deployment does in
//! words, and the provider and size choices of a site.
import { common, sites } from "@canopy/sdk";
import type { StatusTone } from "../components/status-badge";

const SITE: Record<sites.SiteStatus, [string, StatusTone]> = {
  [sites.SiteStatus.UNSPECIFIED]: ["Unknown", "neutral"],
  [sites.SiteStatus.PENDING]: ["Pending", "progress"],
  [sites.SiteStatus.PROVISIONING]: ["Provisioning", "progress"],
  [sites.SiteStatus.ACTIVE]: ["Active", "success"],
  [sites.SiteStatus.UPDATING]: ["Updating", "progress"],
  [sites.SiteStatus.FAILED]: ["Failed", "danger"],
  [sites.SiteStatus.DELETING]: ["Deleting", "warning"],
  [sites.SiteStatus.DELETED]: ["Deleted", "neutral"],
};

export function siteStatus(status: sites.SiteStatus): { label: string; tone: StatusTone } {
  const [label, tone] = SITE[status] ?? SITE[sites.SiteStatus.UNSPECIFIED];
  return { label, tone };
}

/** The statuses a site list can be filtered by, as the words shown and a name for URLs ("active"). */
export const SITE_STATUS_FILTERS: { value: string; label: string; status: sites.SiteStatus }[] = [
  sites.SiteStatus.ACTIVE,
  sites.SiteStatus.FAILED,
  sites.SiteStatus.PENDING,
  sites.SiteStatus.PROVISIONING,
  sites.SiteStatus.UPDATING,
  sites.SiteStatus.DELETING,
  sites.SiteStatus.DELETED,
].map((status) => ({ value: SITE[status][0].toLowerCase(), label: SITE[status][0], status }));

/** The status a `SITE_STATUS_FILTERS` name stands for; UNSPECIFIED (any) for an unknown name. */
export function siteStatusFromName(name: string): sites.SiteStatus {
  return SITE_STATUS_FILTERS.find((f) => f.value === name)?.status ?? sites.SiteStatus.UNSPECIFIED;
}

const DEPLOYMENT: Record<sites.DeploymentStatus, [string, StatusTone]> = {
  [sites.DeploymentStatus.UNSPECIFIED]: ["Unknown", "neutral"],
  [sites.DeploymentStatus.QUEUED]: ["Queued", "progress"],
  [sites.DeploymentStatus.RUNNING]: ["Running", "progress"],
  [sites.DeploymentStatus.SUCCEEDED]: ["Succeeded", "success"],
  [sites.DeploymentStatus.FAILED]: ["Failed", "danger"],
  [sites.DeploymentStatus.CANCELLED]: ["Cancelled", "warning"],
  // The plan failed a soft-mandatory policy: it waits for an override or a discard.
  [sites.DeploymentStatus.AWAITING_OVERRIDE]: ["Awaiting override", "warning"],
};

export function deploymentStatus(status: sites.DeploymentStatus): { label: string; tone: StatusTone } {
  const [label, tone] = DEPLOYMENT[status] ?? DEPLOYMENT[sites.DeploymentStatus.UNSPECIFIED];
  return { label, tone };
}

export function isFinished(status: sites.DeploymentStatus): boolean {
  return status === sites.DeploymentStatus.SUCCEEDED || status === sites.DeploymentStatus.FAILED || status === sites.DeploymentStatus.CANCELLED;
}

/** A site whose status will change without the user doing anything. */
export function isSettling(status: sites.SiteStatus): boolean {
  return [sites.SiteStatus.PENDING, sites.SiteStatus.PROVISIONING, sites.SiteStatus.UPDATING, sites.SiteStatus.DELETING].includes(status);
}

const KIND: Record<sites.DeploymentKind, string> = {
  [sites.DeploymentKind.UNSPECIFIED]: "Deployment",
  [sites.DeploymentKind.CREATE]: "Creating the site",
  [sites.DeploymentKind.UPDATE]: "Updating the site",
  [sites.DeploymentKind.REDEPLOY]: "Redeploying",
  [sites.DeploymentKind.DELETE]: "Deleting the site",
};

/** What a deployment does, in words ("Creating the site"). */
export function deploymentKind(kind: sites.DeploymentKind): string {
  return KIND[kind] ?? KIND[sites.DeploymentKind.UNSPECIFIED];
}

export const PROVIDERS: { value: string; label: string }[] = [
  { value: String(common.CloudProvider.AWS), label: "AWS" },
  { value: String(common.CloudProvider.AZURE), label: "Azure" },
  { value: String(common.CloudProvider.GCP), label: "Google Cloud" },
  { value: String(common.CloudProvider.DIGITALOCEAN), label: "DigitalOcean" },
  { value: String(common.CloudProvider.AKAMAI), label: "Akamai" },
];

export const SIZES: { value: string; label: string }[] = [
  { value: String(sites.SiteSize.SMALL), label: "Small" },
  { value: String(sites.SiteSize.MEDIUM), label: "Medium" },
  { value: String(sites.SiteSize.LARGE), label: "Large" },
];
