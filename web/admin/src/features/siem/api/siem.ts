//! SIEM endpoints' cache: ListSiemEndpoints pages, and the create and delete
//! mutations, which refresh every page.
import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";

type SiemClient = Pick<CanopyClient, "siem">;
type CreateSiemEndpointRequest = Parameters<CanopyClient["siem"]["createSiemEndpoint"]>[0];

export const SIEM_PAGE_SIZE = 20;

export const siemKeys = {
  all: ["siem-endpoints"] as const,
  lists: () => [...siemKeys.all, "list"] as const,
  list: (pageToken: string, pageSize = SIEM_PAGE_SIZE) => [...siemKeys.lists(), pageSize, pageToken] as const,
};

export const siemQueries = {
  /** One page of endpoints, oldest first; the previous page kept while the next loads. */
  list: (client: SiemClient, pageToken: string, pageSize = SIEM_PAGE_SIZE) =>
    queryOptions({
      queryKey: siemKeys.list(pageToken, pageSize),
      queryFn: () => client.siem.listSiemEndpoints({ page: { pageSize, pageToken } }),
      placeholderData: keepPreviousData,
    }),
};

/** CreateSiemEndpoint; every page is fetched again (not waited for). */
export function useCreateSiemEndpoint(client: SiemClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: CreateSiemEndpointRequest) => client.siem.createSiemEndpoint(request),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: siemKeys.all });
    },
  });
}

/** DeleteSiemEndpoint; settles once every page has been fetched again. */
export function useDeleteSiemEndpoint(client: SiemClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (endpointId: string) => client.siem.deleteSiemEndpoint({ endpointId }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: siemKeys.all }),
  });
}
