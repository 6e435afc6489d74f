import { ApiKeyManager, Card, DescriptionList, ROLE, grantableRoles, roleLabel, useCanopy } from "@canopy/ui";
import { useCurrentUser } from "../layout";
import { ChangePasswordForm } from "../../features/account/components/change-password-form";
import { MfaCard } from "../../features/account/components/mfa-card";

export function AccountRoute() {
  const { client } = useCanopy();
  const user = useCurrentUser();
  return (
    <div className="flex flex-col gap-4">
      <h1>Your account</h1>
      {user.data && (
        <Card title="Profile">
          <DescriptionList>
            <dt>Name</dt>
            <dd>{user.data.displayName || "—"}</dd>
            <dt>Email</dt>
            <dd>{user.data.email}</dd>
            <dt>Role</dt>
            <dd>{roleLabel(user.data.role)}</dd>
          </DescriptionList>
        </Card>
      )}
      <Card title="Password">
        <ChangePasswordForm client={client} />
      </Card>
      <Card title="Two-factor authentication">
        <MfaCard client={client} mfaEnabled={user.data?.mfaEnabled ?? false} />
      </Card>
      {user.data && (
        <Card title="API keys">
          {user.data.role === ROLE.owner ? (
            <ApiKeyManager client={client} grantableRoles={grantableRoles(user.data.role, true)} />
          ) : (
            <p className="m-0">Only the account's owners can see and create API keys. Ask an owner if a script or a CI job needs one.</p>
          )}
        </Card>
      )}
    </div>
  );
}
