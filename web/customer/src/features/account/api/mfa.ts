//! The MFA changes of the account page: each refreshes the signed-in user, whose
//! `mfaEnabled` the page shows.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { currentUserKeys } from "@canopy/ui";

type AuthClient = Pick<CanopyClient, "auth">;

function useRefreshCurrentUser() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: currentUserKeys.all });
  };
}

/** ConfirmMfaSetup with the authenticator's code; answers the recovery codes. */
export function useConfirmMfaSetup(client: AuthClient) {
  const onSuccess = useRefreshCurrentUser();
  return useMutation({ mutationFn: (totpCode: string) => client.auth.confirmMfaSetup({ totpCode }), onSuccess });
}

/** DisableMfa with the password and a code. */
export function useDisableMfa(client: AuthClient) {
  const onSuccess = useRefreshCurrentUser();
  return useMutation({ mutationFn: (request: { password: string; totpCode: string }) => client.auth.disableMfa(request), onSuccess });
}
