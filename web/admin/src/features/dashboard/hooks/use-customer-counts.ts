//! Customers per status. ListCustomers' total_size counts every customer whatever
//! the filters (tenancy's count_customers ignores them), so a status filter with
//! page_size 1 cannot count a status: the customers are read instead, in the
//! largest pages the API gives, and counted here — at most MAX_PAGES pages.
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, tenancy } from "@canopy/sdk";

const PAGE = 500;
const MAX_PAGES = 20;

export interface CustomerCounts {
  /** Customers per status among those read. */
  byStatus: Map<tenancy.CustomerStatus, number>;
  /** Every customer (ListCustomers' total_size). */
  total: bigint;
  /** Whether more customers exist than were read (the counts are then lower bounds). */
  partial: boolean;
}

export async function countCustomers(client: Pick<CanopyClient, "customers">): Promise<CustomerCounts> {
  const byStatus = new Map<tenancy.CustomerStatus, number>();
  let total = -1n;
  let pageToken = "";
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await client.customers.listCustomers({ page: { pageSize: PAGE, pageToken } });
    if (page === 0) total = res.page?.totalSize ?? -1n;
    for (const c of res.customers) byStatus.set(c.status, (byStatus.get(c.status) ?? 0) + 1);
    pageToken = res.page?.nextPageToken ?? "";
    if (!pageToken) return { byStatus, total: total >= 0n ? total : BigInt([...byStatus.values()].reduce((a, b) => a + b, 0)), partial: false };
  }
  return { byStatus, total, partial: true };
}

export function useCustomerCounts(client: Pick<CanopyClient, "customers">) {
  return useQuery({ queryKey: ["customers", "counts"], queryFn: () => countCustomers(client) });
}
