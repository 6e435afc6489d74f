//! Customers per status: one ListCustomers per status with a page of one, reading
//! the filtered total_size tenancy counts for it, all in parallel — a handful of
//! index counts whatever the number of customers.
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, tenancy } from "@canopy/sdk";
import { STATUS_FILTERS } from "../../../lib/customer-status";

export interface CustomerCounts {
  /** Customers per status. */
  byStatus: Map<tenancy.CustomerStatus, bigint>;
  /** Every customer. */
  total: bigint;
}

async function countWhere(client: Pick<CanopyClient, "customers">, status: tenancy.CustomerStatus): Promise<bigint> {
  const res = await client.customers.listCustomers({ status, page: { pageSize: 1 } });
  const total = res.page?.totalSize ?? -1n;
  if (total < 0n) throw new Error("Canopy did not count the customers. Please try again.");
  return total;
}

export async function countCustomers(client: Pick<CanopyClient, "customers">): Promise<CustomerCounts> {
  const statuses = STATUS_FILTERS.map((f) => f.status);
  const [total, ...counts] = await Promise.all([tenancy.CustomerStatus.UNSPECIFIED, ...statuses].map((status) => countWhere(client, status)));
  return { total: total!, byStatus: new Map(statuses.map((status, i) => [status, counts[i]!])) };
}

export function useCustomerCounts(client: Pick<CanopyClient, "customers">) {
  return useQuery({ queryKey: ["customers", "counts"], queryFn: () => countCustomers(client) });
}
