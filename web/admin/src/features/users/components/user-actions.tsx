//! What a platform admin does to one user, each confirmed first and busy while it
//! runs: change the role (within the user's kind, platform or customer), disable
//! or enable, lift a sign-in lockout, issue a password reset (its token shown once).
import { useState } from "react";
import { type CanopyClient, identity } from "@canopy/sdk";
import { Button, type Role, SelectField, errorMessage, roleLabel } from "@canopy/ui";
import { ConfirmPanel } from "../../../components/confirm-panel";
import { CUSTOMER_ROLES, PLATFORM_ROLES, isPlatformRole } from "../../../lib/roles";
import { lockedUntil } from "../user-status";
import { useChangeUser } from "../api/users";
import { OneTimeToken } from "./one-time-token";

export interface UserActionsProps {
  client: Pick<CanopyClient, "users">;
  user: identity.User;
  /** The user changed: the updated user. */
  /** Changed: the lists show the answered user already (`useChangeUser`). */
  onChanged?: (user: identity.User) => void;
}

type Action = { kind: "role"; role: Role } | { kind: "disable" } | { kind: "enable" } | { kind: "unlock" } | { kind: "reset" };

export function UserActions({ client, user, onChanged }: UserActionsProps) {
  const [action, setAction] = useState<Action>();
  const [role, setRole] = useState<Role>(user.role);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [reset, setReset] = useState<identity.IssuePasswordResetResponse>();
  const changeUser = useChangeUser(client);
  const platformUser = isPlatformRole(user.role);
  const roles = platformUser ? PLATFORM_ROLES : CUSTOMER_ROLES;
  const who = user.email;

  const open = (next: Action) => {
    setAction(next);
    setError(undefined);
    setReset(undefined);
  };

  const confirm = async () => {
    if (!action) return;
    setBusy(true);
    setError(undefined);
    try {
      const userId = user.id;
      if (action.kind === "reset") {
        setReset(await client.users.issuePasswordReset({ userId }));
      } else {
        const res = await changeUser.mutateAsync({ userId, change: action });
        if (res.user) onChanged?.(res.user);
      }
      setAction(undefined);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const dialogs: Record<Action["kind"], { title: string; body: string; button: string; tone: "danger" | "info" }> = {
    role: {
      title: `Change the role of ${who}?`,
      body: `${who} becomes ${action?.kind === "role" ? roleLabel(action.role) : ""}; their sessions end and they sign in again with the new role.`,
      button: "Yes, change the role",
      tone: "info",
    },
    disable: { title: `Disable ${who}?`, body: "They are signed out at once and cannot sign in until enabled again.", button: `Yes, disable ${who}`, tone: "danger" },
    enable: { title: `Enable ${who}?`, body: "They can sign in again.", button: `Yes, enable ${who}`, tone: "info" },
    unlock: { title: `Unlock ${who}?`, body: "The sign-in lockout after failed attempts ends now.", button: `Yes, unlock ${who}`, tone: "info" },
    reset: {
      title: `Issue a password reset for ${who}?`,
      body: "You get a single-use link with which they set a new password; their current password keeps working until then.",
      button: "Yes, issue a reset link",
      tone: "info",
    },
  };

  if (action) {
    const d = dialogs[action.kind];
    return <ConfirmPanel title={d.title} body={d.body} confirmLabel={d.button} tone={d.tone} busy={busy} error={error} onConfirm={() => void confirm()} onCancel={() => setAction(undefined)} />;
  }
  const locked = lockedUntil(user);
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-48">
          <SelectField label={`Role of ${who}`} value={String(role)} options={roles.map((r) => ({ value: String(r), label: roleLabel(r) }))} onChange={(e) => setRole(Number(e.target.value) as Role)} />
        </div>
        <Button variant="secondary" disabled={role === user.role} onClick={() => open({ kind: "role", role })}>
          Change role
        </Button>
      </div>
      <div className="flex flex-wrap items-center gap-3">
        {user.status === identity.UserStatus.DISABLED ? (
          <Button onClick={() => open({ kind: "enable" })}>Enable</Button>
        ) : (
          <Button variant="danger" onClick={() => open({ kind: "disable" })}>
            Disable
          </Button>
        )}
        {locked && (
          <Button variant="secondary" onClick={() => open({ kind: "unlock" })}>
            Unlock
          </Button>
        )}
        <Button variant="secondary" onClick={() => open({ kind: "reset" })}>
          Issue password reset
        </Button>
      </div>
      {reset && <OneTimeToken title="Password reset" token={reset.resetToken} expireTime={reset.expireTime} platformUser={platformUser} />}
    </div>
  );
}
