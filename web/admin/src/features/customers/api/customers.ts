//! A customer's page queries (status history, usage) and the customer changes,
//! each owning what it refreshes: create, update (plan, quotas) and the lifecycle
//! (suspend, reactivate, deactivate). Keys: `customerKeys` (`lib/customer-queries`).
import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient, tenancy } from "@canopy/sdk";
import { customerKeys } from "../../../lib/customer-queries";

type CustomersClient = Pick<CanopyClient, "customers">;
type CreateCustomerRequest = Parameters<CanopyClient["customers"]["createCustomer"]>[0];
type UpdateCustomerRequest = Parameters<CanopyClient["customers"]["updateCustomer"]>[0];

export type LifecycleAction = "suspend" | "reactivate" | "deactivate";

export const usageKeys = {
  all: ["usage"] as const,
  ofCustomer: (customerId: string) => [...usageKeys.all, customerId] as const,
};

export const customerPageQueries = {
  /** ListCustomerStatusChanges: the newest 20. */
  statusChanges: (client: CustomersClient, customerId: string) =>
    queryOptions({
      queryKey: customerKeys.statusChanges(customerId),
      queryFn: () => client.customers.listCustomerStatusChanges({ customerId, page: { pageSize: 20 } }),
    }),
  usage: (client: Pick<CanopyClient, "plans">, customerId: string) =>
    queryOptions({ queryKey: usageKeys.ofCustomer(customerId), queryFn: () => client.plans.getUsage({ customerId }) }),
};

/** CreateCustomer; the customer lists, choices and counts are fetched again. */
export function useCreateCustomer(client: CustomersClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: CreateCustomerRequest) => client.customers.createCustomer(request),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: customerKeys.all });
    },
  });
}

/** UpdateCustomer: the answer is the customer; the lists and its usage (limits) are fetched again. */
export function useUpdateCustomer(client: CustomersClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: UpdateCustomerRequest) => client.customers.updateCustomer(request),
    onSuccess: (res, request) => {
      if (!res.customer) return;
      const customerId = request.customerId ?? res.customer.id;
      queryClient.setQueryData(customerKeys.detail(customerId), res.customer);
      void queryClient.invalidateQueries({ queryKey: customerKeys.all });
      void queryClient.invalidateQueries({ queryKey: usageKeys.ofCustomer(customerId) });
    },
  });
}

/** Suspend (with a reason), reactivate or deactivate (with a reason); the customer, its history and the lists are fetched again. */
export function useChangeCustomerStatus(client: CustomersClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ action, customerId, reason }: { action: LifecycleAction; customerId: string; reason: string }): Promise<{ customer?: tenancy.Customer }> =>
      action === "suspend"
        ? client.customers.suspendCustomer({ customerId, reason })
        : action === "reactivate"
          ? client.customers.reactivateCustomer({ customerId })
          : client.customers.deactivateCustomer({ customerId, reason }),
    onSuccess: (res, { customerId }) => {
      if (res.customer) queryClient.setQueryData(customerKeys.detail(customerId), res.customer);
      // The customer and, under it, its status history.
      void queryClient.invalidateQueries({ queryKey: customerKeys.detail(customerId) });
      void queryClient.invalidateQueries({ queryKey: customerKeys.all });
    },
  });
}
