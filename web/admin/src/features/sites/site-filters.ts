//! `?provider=` and `?status=` names for the sites list, and the provider's words.
import { common, sites } from "@canopy/sdk";
import { PROVIDERS, siteStatus } from "@canopy/ui";

const PROVIDER_NAMES: [string, common.CloudProvider][] = [
  ["aws", common.CloudProvider.AWS],
  ["azure", common.CloudProvider.AZURE],
  ["gcp", common.CloudProvider.GCP],
  ["digitalocean", common.CloudProvider.DIGITALOCEAN],
  ["akamai", common.CloudProvider.AKAMAI],
];

export const PROVIDER_FILTERS = PROVIDER_NAMES.map(([name, provider]) => ({ value: name, label: providerLabel(provider) }));

export function providerFromName(name: string): common.CloudProvider {
  return PROVIDER_NAMES.find(([n]) => n === name)?.[1] ?? common.CloudProvider.UNSPECIFIED;
}

export function providerLabel(provider: common.CloudProvider): string {
  return PROVIDERS.find((p) => p.value === String(provider))?.label ?? "Unknown provider";
}

const STATUSES = [
  sites.SiteStatus.ACTIVE,
  sites.SiteStatus.FAILED,
  sites.SiteStatus.PENDING,
  sites.SiteStatus.PROVISIONING,
  sites.SiteStatus.UPDATING,
  sites.SiteStatus.DELETING,
  sites.SiteStatus.DELETED,
];

export const SITE_STATUS_FILTERS = STATUSES.map((status) => ({ value: siteStatus(status).label.toLowerCase(), label: siteStatus(status).label, status }));

export function siteStatusFromName(name: string): sites.SiteStatus {
  return SITE_STATUS_FILTERS.find((f) => f.value === name)?.status ?? sites.SiteStatus.UNSPECIFIED;
}
