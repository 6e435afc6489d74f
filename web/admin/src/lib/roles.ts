//! Roles as the admin portal groups and filters them; their words and values come
//! from `@canopy/ui` (`ROLE`, `roleLabel`).
import { ROLE, type Role } from "@canopy/ui";

export const PLATFORM_ROLES: Role[] = [ROLE.platformAdmin, ROLE.platformOperator];
export const CUSTOMER_ROLES: Role[] = [ROLE.owner, ROLE.member, ROLE.viewer];

export const isPlatformRole = (role: Role) => PLATFORM_ROLES.includes(role);

/** `?role=` values, as the proto names them without their prefix. */
const NAMES = new Map<Role, string>([
  [ROLE.platformAdmin, "platform_admin"],
  [ROLE.platformOperator, "platform_operator"],
  [ROLE.owner, "owner"],
  [ROLE.member, "member"],
  [ROLE.viewer, "viewer"],
]);

export const roleName = (role: Role): string => NAMES.get(role) ?? "";

/** The role a `?role=` value names; 0 (ROLE_UNSPECIFIED: any role) for anything else. */
export function roleFromName(name: string): Role {
  return [...NAMES].find(([, n]) => n === name)?.[0] ?? (0 as Role);
}
