//! The customer's branding, looked up by the domain the portal is served on
//! (`GetBranding`, public) and applied before anything else renders — the sign-in
//! page is already branded.
import { createContext, type ReactNode, useContext, useEffect } from "react";
import { useQuery } from "@tanstack/react-query";
import { CenteredPage, Spinner, applyFavicon, applyTheme } from "@canopy/ui";
import { useCanopy } from "@canopy/ui";
import { DEFAULT_BRANDING, type PortalBranding, brandingQueries } from "./api/branding";

export type { PortalBranding } from "./api/branding";

const BrandingContext = createContext<PortalBranding>(DEFAULT_BRANDING);

export function useBranding(): PortalBranding {
  return useContext(BrandingContext);
}

export function BrandingProvider({ children, domain = window.location.hostname }: { children: ReactNode; domain?: string }) {
  const { client } = useCanopy();
  const query = useQuery(brandingQueries.forDomain(client, domain));

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
