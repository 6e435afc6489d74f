//! `/invitation#token=…`: the link in the invitation mail (and in password resets).
import { useState } from "react";
import { Card, CenteredPage, SetPasswordForm, tokenFromFragment, useCanopy } from "@canopy/ui";
import { useBranding } from "../../features/branding/branding-provider";

export function InvitationRoute() {
  const { client } = useCanopy();
  const branding = useBranding();
  const [token] = useState(() => tokenFromFragment());
  return (
    <CenteredPage>
      <h1>Welcome to {branding.productName}</h1>
      <Card>
        <SetPasswordForm
          client={client}
          token={token}
          intro="Choose a password to finish setting up your account."
          incomplete="This invitation link is incomplete. Open the link from your invitation email again."
        />
      </Card>
    </CenteredPage>
  );
}
