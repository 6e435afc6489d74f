//! The customer's branding, looked up by the domain the portal is served on
//! (`GetBranding`, public) and applied before anything else renders — the sign-in
//! page is already branded.
import { createContext, type ReactNode, useContext, useEffect } from "react";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, tenancy } from "@canopy/sdk";
import { CenteredPage, Spinner, applyFavicon, applyTheme } from "@canopy/ui";
import { useCanopy } from "@canopy/ui";

export interface PortalBranding {
  productName: string;
  /** A blob URL for the logo, when the customer uploaded one. */
  logoUrl?: string;
  supportEmail: string;
}

const DEFAULT_BRANDING: PortalBranding = { productName: "Canopy", supportEmail: "" };
const BrandingContext = createContext<PortalBranding>(DEFAULT_BRANDING);

export function useBranding(): PortalBranding {
  return useContext(BrandingContext);
}

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

export function BrandingProvider({ children, domain = window.location.hostname }: { children: ReactNode; domain?: string }) {
  const { client } = useCanopy();
  const query = useQuery({ queryKey: ["branding", domain], queryFn: () => loadBranding(client, domain), staleTime: 5 * 60_000, retry: 1 });

  useEffect(() => {
    const theme = query.data?.theme;
    if (theme) applyTheme(theme);
    if (query.data?.faviconUrl) applyFavicon(query.data.faviconUrl);
  }, [query.data]);

  if (query.isPending) {
    return (
      <CenteredPage>
        <div className="text-center">
          <Spinner label="Loading" />
        </div>
      </CenteredPage>
    );
  }
  // Unbranded (the defaults) rather than no portal when branding cannot be loaded.
  return <BrandingContext.Provider value={query.data?.portal ?? DEFAULT_BRANDING}>{children}</BrandingContext.Provider>;
}
