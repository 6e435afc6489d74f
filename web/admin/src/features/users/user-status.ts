//! A user's state in words: its status, and a lockout still running.
import { identity } from "@canopy/sdk";
import { type StatusTone, toDate } from "@canopy/ui";

const STATUS: Record<identity.UserStatus, [string, StatusTone]> = {
  [identity.UserStatus.UNSPECIFIED]: ["Unknown", "neutral"],
  [identity.UserStatus.INVITED]: ["Invited", "progress"],
  [identity.UserStatus.ACTIVE]: ["Active", "success"],
  [identity.UserStatus.DISABLED]: ["Disabled", "danger"],
};

export function userStatus(status: identity.UserStatus): { label: string; tone: StatusTone } {
  const [label, tone] = STATUS[status] ?? STATUS[identity.UserStatus.UNSPECIFIED];
  return { label, tone };
}

/** `?status=` names of the statuses a list can be filtered by. */
export const USER_STATUS_FILTERS = [identity.UserStatus.ACTIVE, identity.UserStatus.INVITED, identity.UserStatus.DISABLED].map((status) => ({
  name: userStatus(status).label.toLowerCase(),
  status,
  label: userStatus(status).label,
}));

export function userStatusFromName(name: string): identity.UserStatus {
  return USER_STATUS_FILTERS.find((f) => f.name === name)?.status ?? identity.UserStatus.UNSPECIFIED;
}

/** When the user's sign-in lockout ends, if it has not yet. */
export function lockedUntil(user: identity.User, now = new Date()): Date | undefined {
  const until = toDate(user.lockedUntilTime);
  return until && until > now ? until : undefined;
}
