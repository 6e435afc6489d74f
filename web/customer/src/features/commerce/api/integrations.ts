//! A site's store connections as the customer changes them: CreateIntegration,
//! UpdateIntegration (rename or rotate, from the revision read), DeleteIntegration
//! and ValidateCredentials. Each change refreshes every integration list and status
//! (`integrationKeys.all`); checking new credentials changes nothing, while "check
//! now" on a stored integration records a health check, so it refreshes them too.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { integrationKeys } from "@canopy/ui";

type Client = Pick<CanopyClient, "integrations">;

export type CreateIntegrationRequest = Parameters<CanopyClient["integrations"]["createIntegration"]>[0];
export type UpdateIntegrationRequest = Parameters<CanopyClient["integrations"]["updateIntegration"]>[0];
export type ValidateCredentialsRequest = Parameters<CanopyClient["integrations"]["validateCredentials"]>[0];

/** CreateIntegration (the store is called first; a refusal is FAILED_PRECONDITION and nothing is stored). */
export function useCreateIntegration(client: Client) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (request: CreateIntegrationRequest) => (await client.integrations.createIntegration(request)).integration!,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: integrationKeys.all }),
  });
}

/**
 * UpdateIntegration: a new name or new credentials; a stale `revision` is
 * FAILED_PRECONDITION. Refused or not, the integration is read again, so a form
 * left open after a refusal sends the current revision when tried again.
 */
export function useUpdateIntegration(client: Client) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (request: UpdateIntegrationRequest) => (await client.integrations.updateIntegration(request)).integration!,
    onSettled: () => void queryClient.invalidateQueries({ queryKey: integrationKeys.all }),
  });
}

/** DeleteIntegration; settles once the lists have been fetched again. */
export function useDeleteIntegration(client: Client) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ customerId, integrationId }: { customerId: string; integrationId: string }) => client.integrations.deleteIntegration({ customerId, integrationId }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: integrationKeys.all }),
  });
}

/** ValidateCredentials: new credentials (nothing stored), or a stored integration's (recorded as a check). */
export function useValidateCredentials(client: Client) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: ValidateCredentialsRequest) => client.integrations.validateCredentials(request),
    onSuccess: (_, request) => {
      if (request.target?.case === "integrationId") void queryClient.invalidateQueries({ queryKey: integrationKeys.all });
    },
  });
}
