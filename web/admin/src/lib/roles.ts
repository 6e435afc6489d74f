//! Roles (`canopy.options.v1.Role`) in words. The SDK exports the identity messages
//! that carry a role but not the `options` package that declares the enum, so its
//! values are restated here from `proto/canopy/options/v1/options.proto` (wire
//! numbers never change).
import type { identity } from "@canopy/sdk";

export type Role = identity.User["role"];

export const ROLE = {
  UNSPECIFIED: 0 as Role,
  PLATFORM_ADMIN: 1 as Role,
  PLATFORM_OPERATOR: 2 as Role,
  OWNER: 3 as Role,
  MEMBER: 4 as Role,
  VIEWER: 5 as Role,
} as const;

const LABEL: Record<number, string> = {
  [ROLE.PLATFORM_ADMIN]: "Platform admin",
  [ROLE.PLATFORM_OPERATOR]: "Platform operator",
  [ROLE.OWNER]: "Owner",
  [ROLE.MEMBER]: "Member",
  [ROLE.VIEWER]: "Viewer",
};

export function roleLabel(role: Role): string {
  return LABEL[role] ?? "Unknown role";
}

export const PLATFORM_ROLES: Role[] = [ROLE.PLATFORM_ADMIN, ROLE.PLATFORM_OPERATOR];
export const CUSTOMER_ROLES: Role[] = [ROLE.OWNER, ROLE.MEMBER, ROLE.VIEWER];

export const isPlatformRole = (role: Role) => PLATFORM_ROLES.includes(role);

/** `?role=` values: the proto names without their prefix, lowercase. */
const NAME: Record<number, string> = {
  [ROLE.PLATFORM_ADMIN]: "platform_admin",
  [ROLE.PLATFORM_OPERATOR]: "platform_operator",
  [ROLE.OWNER]: "owner",
  [ROLE.MEMBER]: "member",
  [ROLE.VIEWER]: "viewer",
};

export const roleName = (role: Role): string => NAME[role] ?? "";
export const roleFromName = (name: string): Role =>
  (Number(Object.keys(NAME).find((k) => NAME[Number(k)] === name)) || ROLE.UNSPECIFIED) as Role;
