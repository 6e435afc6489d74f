//! `/set-password#token=…`: where a platform user's invitation or password-reset link leads.
import { useState } from "react";
import { Card, CenteredPage, SetPasswordForm, tokenFromFragment, useCanopy } from "@canopy/ui";

export function SetPasswordRoute() {
  const { client } = useCanopy();
  const [token] = useState(() => tokenFromFragment());
  return (
    <CenteredPage>
      <h1 className="text-center">Canopy admin</h1>
      <Card>
        <SetPasswordForm client={client} token={token} incomplete="This link is incomplete. Open the whole link you were given again." />
      </Card>
    </CenteredPage>
  );
}
