//! Customer names for rows that carry only a customer id (sites, users): one
//! GetCustomer per distinct id, all in parallel, cached and shared with the
//! customer page (same query key), so a page of 20 sites of 3 customers costs 3
//! calls once, not 20 on every render.
import { useQueries } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { customerQueries } from "../lib/customer-queries";

/** Id → name for the ids known so far; an id still loading (or failing) is absent. */
export function useCustomerNames(client: Pick<CanopyClient, "customers">, ids: string[]): Map<string, string> {
  const distinct = [...new Set(ids.filter(Boolean))];
  return useQueries({
    queries: distinct.map((customerId) => ({ ...customerQueries.detail(client, customerId), staleTime: 5 * 60_000 })),
    combine: (results) => new Map(results.flatMap((r, i) => (r.data ? [[distinct[i]!, r.data.name] as const] : []))),
  });
}
