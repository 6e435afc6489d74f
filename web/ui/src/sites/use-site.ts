//! A site page's site (GetSite), the same in both portals, fetched again every few
//! seconds while its status is settling. The site's status follows its deployment's
//! outcome asynchronously (sites' deployment-outcomes job): the fetch made when the
//! watched deployment finishes can still read "Provisioning", and without another
//! the page would say so until reloaded.
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { isSettling } from "./site-status";

export const SITE_SETTLING_EVERY_MS = 2_000;

export function useSite(client: Pick<CanopyClient, "sites">, siteId: string) {
  return useQuery({
    queryKey: ["site", siteId],
    queryFn: async () => (await client.sites.getSite({ siteId })).site!,
    refetchInterval: (query) => (query.state.data && isSettling(query.state.data.status) ? SITE_SETTLING_EVERY_MS : false),
  });
}
