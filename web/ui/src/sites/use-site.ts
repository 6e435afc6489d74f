//! A site page's site (GetSite), the same in both portals, fetched again every few
//! seconds while its status is settling (see `siteQueries.detail`).
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { siteQueries } from "./site-queries";

export function useSite(client: Pick<CanopyClient, "sites">, siteId: string) {
  return useQuery(siteQueries.detail(client, siteId));
}
