//! The customer portal's site queries and mutations, on the shared `siteKeys`
//! (`@canopy/ui`): the regions of a provider, the fleet summary above the sites
//! table, and CreateSite, which refreshes every site list and summary.
import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { siteKeys } from "@canopy/ui";

type SitesClient = Pick<CanopyClient, "sites">;
type CreateSiteRequest = Parameters<CanopyClient["sites"]["createSite"]>[0];

export const regionKeys = {
  all: ["regions"] as const,
  ofProvider: (provider: string) => [...regionKeys.all, provider] as const,
};

export const regionQueries = {
  /** ListRegions of `provider` (a `CloudProvider` as a string; "" for none chosen yet). */
  ofProvider: (client: SitesClient, provider: string) =>
    queryOptions({
      queryKey: regionKeys.ofProvider(provider),
      queryFn: () => client.sites.listRegions({ provider: Number(provider) }),
      enabled: provider !== "",
      staleTime: 10 * 60_000,
    }),
};

export const fleetSummaryQueries = {
  /** The customer's sites by status. Under `siteKeys.all`: whatever refreshes the sites list refreshes this too. */
  sites: (client: SitesClient) =>
    queryOptions({
      queryKey: siteKeys.fleetSummary(),
      queryFn: () => client.sites.getFleetSummary({}),
    }),
};

/** CreateSite; every site list and summary is fetched again (not waited for). */
export function useCreateSite(client: SitesClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: CreateSiteRequest) => client.sites.createSite(request),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: siteKeys.all });
    },
  });
}
