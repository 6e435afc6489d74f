//! The signed-in user (GetCurrentUser), the same query in both portals; signing in
//! forgets the previous one (`currentUserKeys.all`).
import { queryOptions } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";

export const currentUserKeys = {
  all: ["current-user"] as const,
};

export const currentUserQueries = {
  me: (client: Pick<CanopyClient, "auth">) =>
    queryOptions({
      queryKey: currentUserKeys.all,
      queryFn: async () => (await client.auth.getCurrentUser({})).user!,
    }),
};
