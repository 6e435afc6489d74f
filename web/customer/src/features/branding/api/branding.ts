//! The portal's branding by the domain it is served on (GetBranding, public), with
//! the logo and favicon as blob URLs (GetBrandingAsset).
import { queryOptions } from "@tanstack/react-query";
import { type CanopyClient, tenancy } from "@canopy/sdk";

export interface PortalBranding {
  productName: string;
  /** A blob URL for the logo, when the customer uploaded one. */
  logoUrl?: string;
  supportEmail: string;
}

export const DEFAULT_BRANDING: PortalBranding = { productName: "Canopy", supportEmail: "" };

async function assetUrl(client: CanopyClient, customerId: string, kind: tenancy.AssetKind): Promise<string | undefined> {
  try {
    const asset = await client.branding.getBrandingAsset({ customerId, kind });
    return URL.createObjectURL(new Blob([new Uint8Array(asset.data)], { type: asset.contentType }));
  } catch {
    return undefined; // a missing logo is not worth an error page
  }
}

async function loadBranding(client: CanopyClient, domain: string) {
  const { branding } = await client.branding.getBranding({ domain });
  if (!branding) return { theme: undefined, portal: DEFAULT_BRANDING };
  const [logoUrl, faviconUrl] = await Promise.all([
    branding.hasLogo ? assetUrl(client, branding.customerId, tenancy.AssetKind.LOGO) : undefined,
    branding.hasFavicon ? assetUrl(client, branding.customerId, tenancy.AssetKind.FAVICON) : undefined,
  ]);
  return {
    theme: branding,
    faviconUrl,
    portal: { productName: branding.productName || "Canopy", logoUrl, supportEmail: branding.supportEmail },
  };
}

export const brandingKeys = {
  all: ["branding"] as const,
  forDomain: (domain: string) => [...brandingKeys.all, domain] as const,
};

export const brandingQueries = {
  forDomain: (client: CanopyClient, domain: string) =>
    queryOptions({ queryKey: brandingKeys.forDomain(domain), queryFn: () => loadBranding(client, domain), staleTime: 5 * 60_000, retry: 1 }),
};
