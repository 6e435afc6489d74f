//! The platform's cost accounts (ListCostAccounts with their collection status),
//! collection runs (ListCollectionRuns, newest first, paged) and CollectCosts,
//! which queues a run and refreshes both. Under `["cost-accounts"]`.
import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";

type Client = Pick<CanopyClient, "costAccounts">;
export type CollectionRunListRequest = Parameters<CanopyClient["costAccounts"]["listCollectionRuns"]>[0];
export type CollectCostsRequest = Parameters<CanopyClient["costAccounts"]["collectCosts"]>[0];

export const costAccountKeys = {
  all: ["cost-accounts"] as const,
  accounts: () => [...costAccountKeys.all, "accounts"] as const,
  runs: (request: CollectionRunListRequest) => [...costAccountKeys.all, "runs", request] as const,
};

/** While a run is queued or running, the pages are asked again this often. */
export const RUNS_SETTLING_EVERY_MS = 5_000;

export const costAccountQueries = {
  accounts: (client: Client) => queryOptions({ queryKey: costAccountKeys.accounts(), queryFn: () => client.costAccounts.listCostAccounts({}) }),
  runs: (client: Client, request: CollectionRunListRequest) =>
    queryOptions({
      queryKey: costAccountKeys.runs(request),
      queryFn: () => client.costAccounts.listCollectionRuns(request),
      placeholderData: keepPreviousData,
    }),
};

/** CollectCosts; the accounts and runs are fetched again (not waited for). */
export function useCollectCosts(client: Client) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (request: CollectCostsRequest) => (await client.costAccounts.collectCosts(request)).run!,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: costAccountKeys.all }),
  });
}
