//! Platform receivers' cache: ListReceivers pages; creating or deleting one
//! refreshes every page.
import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import type { ReceiverSpecInit } from "@canopy/ui";

type ReceiverClient = Pick<CanopyClient, "receivers">;

export const RECEIVER_PAGE_SIZE = 20;

export const receiverKeys = {
  all: ["receivers"] as const,
  lists: () => [...receiverKeys.all, "list"] as const,
  list: (pageToken: string, pageSize = RECEIVER_PAGE_SIZE) => [...receiverKeys.lists(), pageSize, pageToken] as const,
};

export const receiverQueries = {
  /** One page of platform receivers, by name. */
  list: (client: ReceiverClient, pageToken: string, pageSize = RECEIVER_PAGE_SIZE) =>
    queryOptions({
      queryKey: receiverKeys.list(pageToken, pageSize),
      queryFn: () => client.receivers.listReceivers({ page: { pageSize, pageToken } }),
      placeholderData: keepPreviousData,
    }),
};

/** CreateReceiver; every page is fetched again (not waited for). */
export function useCreateReceiver(client: ReceiverClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (receiver: ReceiverSpecInit) => client.receivers.createReceiver({ receiver }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: receiverKeys.all });
    },
  });
}

/** DeleteReceiver; settles once every page has been fetched again. */
export function useDeleteReceiver(client: ReceiverClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (receiverId: string) => client.receivers.deleteReceiver({ receiverId }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: receiverKeys.all }),
  });
}
