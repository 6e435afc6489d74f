//! E-commerce integrations, the same reads in both portals (a customer sends no
//! customer id: the server reads its own; the admin portal names none for every
//! customer's). The platforms and their fields under `["commerce-platforms"]`, which
//! nothing changes; integrations and their status under `["integrations"]`, which a
//! portal's create, update, delete or "check now" refreshes.
import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";

type PlatformsClient = Pick<CanopyClient, "commercePlatforms">;
type IntegrationsClient = Pick<CanopyClient, "integrations">;

export type IntegrationListRequest = Parameters<CanopyClient["integrations"]["listIntegrations"]>[0];
export type IntegrationStatusRequest = Parameters<CanopyClient["integrations"]["getIntegrationStatus"]>[0];

export const INTEGRATION_PAGE_SIZE = 20;
export const HEALTH_HISTORY_PAGE_SIZE = 10;

export const integrationKeys = {
  all: ["integrations"] as const,
  platforms: () => ["commerce-platforms"] as const,
  lists: () => [...integrationKeys.all, "list"] as const,
  list: (request: IntegrationListRequest) => [...integrationKeys.lists(), request] as const,
  statuses: () => [...integrationKeys.all, "status"] as const,
  status: (request: IntegrationStatusRequest) => [...integrationKeys.statuses(), request] as const,
};

export const integrationQueries = {
  /** ListPlatforms: fixed while the service runs, so kept for the session. */
  platforms: (client: PlatformsClient) =>
    queryOptions({
      queryKey: integrationKeys.platforms(),
      queryFn: async () => (await client.commercePlatforms.listPlatforms({})).platforms,
      staleTime: Infinity,
    }),
  list: (client: IntegrationsClient, request: IntegrationListRequest) =>
    queryOptions({
      queryKey: integrationKeys.list(request),
      queryFn: () => client.integrations.listIntegrations(request),
      placeholderData: keepPreviousData,
    }),
  /** GetIntegrationStatus: health, the next check, and one page of the history. */
  status: (client: IntegrationsClient, request: IntegrationStatusRequest) =>
    queryOptions({
      queryKey: integrationKeys.status(request),
      queryFn: () => client.integrations.getIntegrationStatus(request),
      placeholderData: keepPreviousData,
    }),
};
