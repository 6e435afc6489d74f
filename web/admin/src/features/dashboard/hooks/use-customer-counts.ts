//! Customers per status (`dashboardQueries.customerCounts`).
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { dashboardQueries } from "../api/dashboard";

export type { CustomerCounts } from "../api/dashboard";

export function useCustomerCounts(client: Pick<CanopyClient, "customers">) {
  return useQuery(dashboardQueries.customerCounts(client));
}
