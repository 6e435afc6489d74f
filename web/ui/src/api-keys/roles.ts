//! The roles an API key can act with, in words, and which of them a caller may
//! give a new key — the rules identity enforces (CreateApiKey's method policy, and
//! `may_grant` and `check_fits` in `services/identity`): owners and platform admins
//! create keys, never with more than their own role, platform roles only for
//! platform keys and customer roles only for a tenant's keys; a platform admin may
//! give a tenant's key any customer role.
//!
//! The SDK does not export the `canopy.options.v1.Role` enum itself, so its
//! values are read from the descriptor of `ApiKey.role`.
import { identity } from "@canopy/sdk";

export type Role = identity.ApiKey["role"];

function role(localName: string): Role {
  const field = identity.ApiKeySchema.field.role;
  const value = field?.fieldKind === "enum" ? field.enum.values.find((v) => v.localName === localName) : undefined;
  if (!value) throw new Error(`canopy.options.v1.Role has no ${localName}`);
  return value.number as Role;
}

export const ROLE = {
  platformAdmin: role("PLATFORM_ADMIN"),
  platformOperator: role("PLATFORM_OPERATOR"),
  owner: role("OWNER"),
  member: role("MEMBER"),
  viewer: role("VIEWER"),
} as const;

const LABEL = new Map<Role, string>([
  [ROLE.platformAdmin, "Platform admin"],
  [ROLE.platformOperator, "Platform operator"],
  [ROLE.owner, "Owner"],
  [ROLE.member, "Member"],
  [ROLE.viewer, "Viewer"],
]);

/** The role in words ("Owner"). */
export function roleLabel(role: Role): string {
  return LABEL.get(role) ?? "No role";
}

/** Strongest first, as a role select offers them. */
const CUSTOMER: Role[] = [ROLE.owner, ROLE.member, ROLE.viewer];
const PLATFORM: Role[] = [ROLE.platformAdmin, ROLE.platformOperator];

/**
 * The roles a caller with `callerRole` may give a new key: a tenant's key
 * (`forTenant`) or a platform key. Empty when it may create none: CreateApiKey is
 * for platform admins and owners only, and each is the strongest role of its kind.
 */
export function grantableRoles(callerRole: Role, forTenant: boolean): Role[] {
  if (callerRole === ROLE.platformAdmin) return forTenant ? CUSTOMER : PLATFORM;
  if (callerRole === ROLE.owner && forTenant) return CUSTOMER;
  return [];
}
