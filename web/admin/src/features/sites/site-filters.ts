//! `?provider=` names for the sites list, and the provider's words (status names: `SITE_STATUS_FILTERS` in @canopy/ui).
import { common } from "@canopy/sdk";
import { PROVIDERS } from "@canopy/ui";

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
