//! Silences' cache: ListSilences pages; creating or expiring one refreshes every page.
import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";

type SilenceClient = Pick<CanopyClient, "silences">;
type CreateSilenceRequest = Parameters<CanopyClient["silences"]["createSilence"]>[0];

export const SILENCE_PAGE_SIZE = 20;

export const silenceKeys = {
  all: ["silences"] as const,
  lists: () => [...silenceKeys.all, "list"] as const,
  list: (pageToken: string) => [...silenceKeys.lists(), SILENCE_PAGE_SIZE, pageToken] as const,
};

export const silenceQueries = {
  /** One page of silences, newest first. */
  list: (client: SilenceClient, pageToken: string) =>
    queryOptions({
      queryKey: silenceKeys.list(pageToken),
      queryFn: () => client.silences.listSilences({ page: { pageSize: SILENCE_PAGE_SIZE, pageToken } }),
      placeholderData: keepPreviousData,
    }),
};

/** CreateSilence; settles once every page has been fetched again. */
export function useCreateSilence(client: SilenceClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: CreateSilenceRequest) => client.silences.createSilence(request),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: silenceKeys.all }),
  });
}

/** ExpireSilence; settles once every page has been fetched again. */
export function useExpireSilence(client: SilenceClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (silenceId: string) => client.silences.expireSilence({ silenceId }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: silenceKeys.all }),
  });
}
