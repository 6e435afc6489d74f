//! API keys' cache, shared by both portals: the query keys, ListApiKeys' query
//! options, and the create and revoke mutations, which refresh every key list.
import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";

type ApiKeysClient = Pick<CanopyClient, "apiKeys">;
type CreateApiKeyRequest = Parameters<CanopyClient["apiKeys"]["createApiKey"]>[0];

export interface ApiKeyListFilters {
  /** "" for the caller's own tenant or the platform. */
  tenantId: string;
  includeInactive: boolean;
  pageSize: number;
  pageToken: string;
}

export const apiKeyKeys = {
  all: ["api-keys"] as const,
  lists: () => [...apiKeyKeys.all, "list"] as const,
  list: ({ tenantId, includeInactive, pageSize, pageToken }: ApiKeyListFilters) => [...apiKeyKeys.lists(), tenantId, includeInactive, pageSize, pageToken] as const,
};

export const apiKeyQueries = {
  list: (client: ApiKeysClient, filters: ApiKeyListFilters) =>
    queryOptions({
      queryKey: apiKeyKeys.list(filters),
      queryFn: () =>
        client.apiKeys.listApiKeys({ tenantId: filters.tenantId, includeInactive: filters.includeInactive, page: { pageSize: filters.pageSize, pageToken: filters.pageToken } }),
      placeholderData: keepPreviousData,
    }),
};

/** CreateApiKey; every key list is fetched again (not waited for). */
export function useCreateApiKey(client: ApiKeysClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: CreateApiKeyRequest) => client.apiKeys.createApiKey(request),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: apiKeyKeys.all });
    },
  });
}

/** RevokeApiKey; settles once every key list has been fetched again. */
export function useRevokeApiKey(client: ApiKeysClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (apiKeyId: string) => client.apiKeys.revokeApiKey({ apiKeyId }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: apiKeyKeys.all }),
  });
}
