//! The customer's own receivers: ListCustomerReceivers pages (the owner's customer,
//! so no id is sent); creating or deleting one refreshes every page.
import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import type { ReceiverSpecInit } from "@canopy/ui";

type Client = Pick<CanopyClient, "customerReceivers">;

export const CUSTOMER_RECEIVER_PAGE_SIZE = 20;

export const customerReceiverKeys = {
  all: ["customer-receivers"] as const,
  lists: () => [...customerReceiverKeys.all, "list"] as const,
  list: (pageToken: string) => [...customerReceiverKeys.lists(), CUSTOMER_RECEIVER_PAGE_SIZE, pageToken] as const,
};

export const customerReceiverQueries = {
  /** One page of the customer's receivers, by name. */
  list: (client: Client, pageToken: string) =>
    queryOptions({
      queryKey: customerReceiverKeys.list(pageToken),
      queryFn: () => client.customerReceivers.listCustomerReceivers({ customerId: "", page: { pageSize: CUSTOMER_RECEIVER_PAGE_SIZE, pageToken } }),
      placeholderData: keepPreviousData,
    }),
};

/** CreateCustomerReceiver (Slack or webhook); every page is fetched again (not waited for). */
export function useCreateCustomerReceiver(client: Client) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (receiver: ReceiverSpecInit) => client.customerReceivers.createCustomerReceiver({ customerId: "", receiver }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: customerReceiverKeys.all });
    },
  });
}

/** DeleteCustomerReceiver; settles once every page has been fetched again. */
export function useDeleteCustomerReceiver(client: Client) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (receiverId: string) => client.customerReceivers.deleteCustomerReceiver({ customerId: "", receiverId }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: customerReceiverKeys.all }),
  });
}
