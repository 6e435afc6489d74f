//! The signed-in platform user, and whether they may change things: platform
//! operators read everything, only platform admins change customers, users, keys
//! and sites (the roles in the proto's method policies).
import { useQuery } from "@tanstack/react-query";
import { ROLE, currentUserQueries, useCanopy, useSignedIn } from "@canopy/ui";

export function useCurrentUser() {
  const { client } = useCanopy();
  const signedIn = useSignedIn();
  return useQuery({ ...currentUserQueries.me(client), enabled: signedIn });
}

/** True for a platform admin; false for an operator (and while the user loads). */
export function useIsPlatformAdmin(): boolean {
  return useCurrentUser().data?.role === ROLE.platformAdmin;
}
