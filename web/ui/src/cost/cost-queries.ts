//! Costs and budgets, the same calls in both portals (a customer sends no customer
//! id: the server reads its own; the admin portal names one or none for every
//! customer's). Reports, forecasts, site cost pages and estimates under
//! `["costs"]`; budgets under `["budgets"]`. A created, changed or deleted budget
//! refreshes every budget page; nothing a portal does changes costs.
import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";

type CostsClient = Pick<CanopyClient, "costs">;
type BudgetsClient = Pick<CanopyClient, "budgets">;

export type CostReportRequest = Parameters<CanopyClient["costs"]["getCostReport"]>[0];
export type CostFilterInit = NonNullable<CostReportRequest["filter"]>;
export type EstimateSiteRequest = Parameters<CanopyClient["costs"]["estimateSite"]>[0];
export type SiteCostsRequest = Parameters<CanopyClient["costs"]["getSiteCosts"]>[0];
export type BudgetListRequest = Parameters<CanopyClient["budgets"]["listBudgets"]>[0];
/** What CreateBudget and UpdateBudget take as `spec`. */
export type BudgetSpecInit = NonNullable<Parameters<CanopyClient["budgets"]["createBudget"]>[0]["spec"]>;

export const BUDGET_PAGE_SIZE = 20;
/** Cost figures change once a day or so: a minute's cache spares the server the same report on every visit. */
const COST_STALE_MS = 60_000;

export const costKeys = {
  all: ["costs"] as const,
  report: (request: CostReportRequest) => [...costKeys.all, "report", request] as const,
  forecast: (filter: CostFilterInit) => [...costKeys.all, "forecast", filter] as const,
  site: (request: SiteCostsRequest) => [...costKeys.all, "site", request] as const,
  estimate: (request: EstimateSiteRequest) => [...costKeys.all, "estimate", request] as const,
};

export const budgetKeys = {
  all: ["budgets"] as const,
  lists: () => [...budgetKeys.all, "list"] as const,
  list: (request: BudgetListRequest) => [...budgetKeys.lists(), request] as const,
};

export const costQueries = {
  report: (client: CostsClient, request: CostReportRequest) =>
    queryOptions({
      queryKey: costKeys.report(request),
      queryFn: () => client.costs.getCostReport(request),
      placeholderData: keepPreviousData,
      staleTime: COST_STALE_MS,
    }),
  /** GetCostForecast; its dates are ignored, so none are sent. */
  forecast: (client: CostsClient, filter: CostFilterInit) =>
    queryOptions({
      queryKey: costKeys.forecast(filter),
      queryFn: () => client.costs.getCostForecast({ filter }),
      staleTime: COST_STALE_MS,
    }),
  site: (client: CostsClient, request: SiteCostsRequest) =>
    queryOptions({
      queryKey: costKeys.site(request),
      queryFn: () => client.costs.getSiteCosts(request),
      staleTime: COST_STALE_MS,
    }),
  /** EstimateSite for a form being filled in: the previous estimate stays shown while the next one loads. */
  estimate: (client: CostsClient, request: EstimateSiteRequest, enabled = true) =>
    queryOptions({
      queryKey: costKeys.estimate(request),
      queryFn: async () => (await client.costs.estimateSite(request)).estimate ?? null,
      placeholderData: keepPreviousData,
      staleTime: 10 * 60_000,
      enabled,
    }),
};

export const budgetQueries = {
  list: (client: BudgetsClient, request: BudgetListRequest) =>
    queryOptions({
      queryKey: budgetKeys.list(request),
      queryFn: () => client.budgets.listBudgets(request),
      placeholderData: keepPreviousData,
    }),
};

/** CreateBudget; every budget page is fetched again (not waited for). */
export function useCreateBudget(client: BudgetsClient, customerId = "") {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (spec: BudgetSpecInit) => (await client.budgets.createBudget({ customerId, spec })).budget!,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: budgetKeys.all }),
  });
}

/** UpdateBudget from the `revision` read; a stale one is refused (FAILED_PRECONDITION). */
export function useUpdateBudget(client: BudgetsClient, customerId = "") {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ budgetId, spec, revision }: { budgetId: string; spec: BudgetSpecInit; revision: bigint }) =>
      (await client.budgets.updateBudget({ customerId, budgetId, spec, revision })).budget!,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: budgetKeys.all }),
  });
}

/** DeleteBudget; settles once the budget pages have been fetched again. */
export function useDeleteBudget(client: BudgetsClient, customerId = "") {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (budgetId: string) => client.budgets.deleteBudget({ customerId, budgetId }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: budgetKeys.all }),
  });
}
