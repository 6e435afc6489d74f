//! The sites' and deployments' cache, shared by both portals: hierarchical query
//! keys (`siteKeys`, `deploymentKeys`), the query options built on them
//! (`siteQueries`, `deploymentQueries`) and `useRefreshSite`, which fetches again
//! everything that shows a site once one of its deployments changes it. Every
//! site query lives under `siteKeys.all`, so invalidating it refreshes the lists,
//! the fleet summaries and the site pages of either portal.
import { type QueryClient, keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient, sites } from "@canopy/sdk";
import { isFinished, isSettling } from "./site-status";

type SitesClient = Pick<CanopyClient, "sites">;
/** A ListSites request: its filters and its page. */
export type SiteListRequest = Parameters<CanopyClient["sites"]["listSites"]>[0];

export const SITE_SETTLING_EVERY_MS = 2_000;
const LIST_SETTLING_EVERY_MS = 3_000;
const HISTORY_RUNNING_EVERY_MS = 5_000;

export const siteKeys = {
  all: ["sites"] as const,
  lists: () => [...siteKeys.all, "list"] as const,
  list: (request: SiteListRequest) => [...siteKeys.lists(), request] as const,
  details: () => [...siteKeys.all, "detail"] as const,
  detail: (siteId: string) => [...siteKeys.details(), siteId] as const,
  /** GetFleetSummary; `since` (an ISO time, "" for none) when deployments are counted too. */
  fleetSummary: (since = "") => [...siteKeys.all, "fleet-summary", since] as const,
};

export const deploymentKeys = {
  all: ["deployments"] as const,
  /** Every deployment list of one site: invalidate it after starting or cancelling a deployment. */
  ofSite: (siteId: string) => [...deploymentKeys.all, siteId] as const,
  history: (siteId: string, pageSize: number, pageToken: string) => [...deploymentKeys.ofSite(siteId), "history", pageSize, pageToken] as const,
  newest: (siteId: string) => [...deploymentKeys.ofSite(siteId), "newest"] as const,
};

export const siteQueries = {
  /**
   * GetSite, fetched again every few seconds while its status is settling. The
   * site's status follows its deployment's outcome asynchronously (sites'
   * deployment-outcomes job): the fetch made when the watched deployment finishes
   * can still read "Provisioning", and without another the page would say so
   * until reloaded.
   */
  detail: (client: SitesClient, siteId: string) =>
    queryOptions({
      queryKey: siteKeys.detail(siteId),
      queryFn: async () => (await client.sites.getSite({ siteId })).site!,
      refetchInterval: (query) => (query.state.data && isSettling(query.state.data.status) ? SITE_SETTLING_EVERY_MS : false),
    }),
  /** One page of ListSites, the previous page kept while the next loads. */
  list: (client: SitesClient, request: SiteListRequest) =>
    queryOptions({
      queryKey: siteKeys.list(request),
      queryFn: () => client.sites.listSites(request),
      placeholderData: keepPreviousData,
    }),
  /** A page of ListSites that refreshes itself while a listed site is settling. */
  liveList: (client: SitesClient, request: SiteListRequest) =>
    queryOptions({
      ...siteQueries.list(client, request),
      refetchInterval: (query) => (query.state.data?.sites.some((s) => isSettling(s.status)) ? LIST_SETTLING_EVERY_MS : false),
    }),
};

export const deploymentQueries = {
  /** A page of a site's deployments, newest first, kept current while one of them runs. */
  history: (client: SitesClient, siteId: string, pageSize: number, pageToken: string) =>
    queryOptions({
      queryKey: deploymentKeys.history(siteId, pageSize, pageToken),
      queryFn: () => client.sites.listDeployments({ siteId, page: { pageSize, pageToken } }),
      placeholderData: keepPreviousData,
      // A deployment in progress changes on its own: keep its status and duration current.
      refetchInterval: (query) => (query.state.data?.deployments.some((d: sites.Deployment) => !isFinished(d.status)) ? HISTORY_RUNNING_EVERY_MS : false),
    }),
  /** The site's newest deployment (a page of one). */
  newest: (client: SitesClient, siteId: string) =>
    queryOptions({
      queryKey: deploymentKeys.newest(siteId),
      queryFn: () => client.sites.listDeployments({ siteId, page: { pageSize: 1 } }),
    }),
};

function refreshSite(queryClient: QueryClient, siteId: string) {
  void queryClient.invalidateQueries({ queryKey: deploymentKeys.ofSite(siteId) });
  // The site itself, the site lists and both portals' fleet summaries.
  void queryClient.invalidateQueries({ queryKey: siteKeys.all });
}

/** Fetches again the site, its deployments, every site list and every fleet summary. */
export function useRefreshSite(siteId: string): () => void {
  const queryClient = useQueryClient();
  return () => refreshSite(queryClient, siteId);
}

type SiteChangeRequest = { siteId: string; idempotencyKey: string };

/** RedeploySite (answers the new deployment); the site, its deployments and the lists are fetched again. */
export function useRedeploySite(client: SitesClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: SiteChangeRequest) => client.sites.redeploySite(request),
    onSuccess: (_res, { siteId }) => refreshSite(queryClient, siteId),
  });
}

/** DeleteSite (answers the DELETE deployment); the site, its deployments and the lists are fetched again. */
export function useDeleteSite(client: SitesClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: SiteChangeRequest) => client.sites.deleteSite(request),
    onSuccess: (_res, { siteId }) => refreshSite(queryClient, siteId),
  });
}
