//! The fleet since local midnight (`dashboardQueries.fleetSummary`).
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { dashboardQueries, localMidnight } from "../api/dashboard";

export { isSettling, localMidnight } from "../api/dashboard";

export function useFleetSummary(client: Pick<CanopyClient, "sites">) {
  return useQuery(dashboardQueries.fleetSummary(client, localMidnight()));
}
