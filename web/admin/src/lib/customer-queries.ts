//! The customers' cache of the admin portal, read by several features (customers,
//! sites, users, the dashboard) and by the shared customer picker and names, so
//! it lives here rather than in one feature. `customerKeys.all` holds the
//! collections (pages of ListCustomers, the picker's choices, the dashboard's
//! counts): a created or changed customer invalidates it. A customer itself
//! (GetCustomer, and under it its status history) has its own root, so that a
//! refreshed list does not fetch again the customer a page has just been given.
import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";

type CustomersClient = Pick<CanopyClient, "customers">;
/** A ListCustomers request: its filters and its page. */
export type CustomerListRequest = Parameters<CanopyClient["customers"]["listCustomers"]>[0];

/** The largest page the API gives, for the customer picker. */
export const MAX_CUSTOMERS = 500;

export const customerKeys = {
  all: ["customers"] as const,
  lists: () => [...customerKeys.all, "list"] as const,
  list: (request: CustomerListRequest) => [...customerKeys.lists(), request] as const,
  choices: () => [...customerKeys.all, "choices"] as const,
  counts: () => [...customerKeys.all, "counts"] as const,
  details: () => ["customer"] as const,
  detail: (customerId: string) => [...customerKeys.details(), customerId] as const,
  statusChanges: (customerId: string) => [...customerKeys.detail(customerId), "status-changes"] as const,
};

export const customerQueries = {
  detail: (client: CustomersClient, customerId: string) =>
    queryOptions({
      queryKey: customerKeys.detail(customerId),
      queryFn: async () => (await client.customers.getCustomer({ customerId })).customer!,
    }),
  /** One page of ListCustomers, the previous page kept while the next loads. */
  list: (client: CustomersClient, request: CustomerListRequest) =>
    queryOptions({
      queryKey: customerKeys.list(request),
      queryFn: () => client.customers.listCustomers(request),
      placeholderData: keepPreviousData,
    }),
  /** The customers a picker offers: the first `MAX_CUSTOMERS`. */
  choices: (client: CustomersClient) =>
    queryOptions({
      queryKey: customerKeys.choices(),
      queryFn: () => client.customers.listCustomers({ page: { pageSize: MAX_CUSTOMERS } }),
      staleTime: 60_000,
    }),
};
