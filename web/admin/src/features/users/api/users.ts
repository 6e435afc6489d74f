//! Users' cache: ListUsers pages (the users page, a customer's short list) and the
//! changes to a user, each owning what it refreshes.
import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient, identity } from "@canopy/sdk";
import type { Role } from "@canopy/ui";

type UsersClient = Pick<CanopyClient, "users">;
/** A ListUsers request: its filters and its page. */
export type UserListRequest = Parameters<CanopyClient["users"]["listUsers"]>[0];
type CreateUserRequest = Parameters<CanopyClient["users"]["createUser"]>[0];

export type UserChange = { kind: "role"; role: Role } | { kind: "disable" } | { kind: "enable" } | { kind: "unlock" };

export const userKeys = {
  all: ["users"] as const,
  lists: () => [...userKeys.all, "list"] as const,
  list: (request: UserListRequest) => [...userKeys.lists(), request] as const,
};

export const userQueries = {
  /** One page of ListUsers, the previous page kept while the next loads. */
  list: (client: UsersClient, request: UserListRequest) =>
    queryOptions({
      queryKey: userKeys.list(request),
      queryFn: () => client.users.listUsers(request),
      placeholderData: keepPreviousData,
    }),
};

/** CreateUser (an invitation); every user list is fetched again. */
export function useCreateUser(client: UsersClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: CreateUserRequest) => client.users.createUser(request),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: userKeys.all });
    },
  });
}

/** A role change, disabling, enabling or unlocking: the answered user replaces the listed one at once, then the lists are fetched again. */
export function useChangeUser(client: UsersClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, change }: { userId: string; change: UserChange }): Promise<{ user?: identity.User }> =>
      change.kind === "role"
        ? client.users.updateUserRole({ userId, role: change.role })
        : change.kind === "disable"
          ? client.users.disableUser({ userId })
          : change.kind === "enable"
            ? client.users.enableUser({ userId })
            : client.users.unlockUser({ userId }),
    onSuccess: ({ user }) => {
      if (!user) return;
      queryClient.setQueriesData<identity.ListUsersResponse>({ queryKey: userKeys.lists() }, (old) =>
        old ? { ...old, users: old.users.map((u) => (u.id === user.id ? user : u)) } : old,
      );
      void queryClient.invalidateQueries({ queryKey: userKeys.all });
    },
  });
}
