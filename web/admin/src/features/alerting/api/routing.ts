//! The routing configuration's cache: one GetRoutingConfig; a replacement
//! refreshes it.
import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient, alerts } from "@canopy/sdk";

type RoutingClient = Pick<CanopyClient, "routing">;

export const routingKeys = {
  all: ["routing-config"] as const,
  current: () => [...routingKeys.all, "current"] as const,
};

export const routingQueries = {
  /** The configuration in force (none before the first replace). */
  current: (client: RoutingClient) =>
    queryOptions({
      queryKey: routingKeys.current(),
      queryFn: () => client.routing.getRoutingConfig({}),
    }),
};

/** ReplaceRoutingConfig; settles once the configuration has been read again. */
export function useReplaceRoutingConfig(client: RoutingClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (config: alerts.RoutingConfig) => client.routing.replaceRoutingConfig({ config }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: routingKeys.all }),
  });
}
