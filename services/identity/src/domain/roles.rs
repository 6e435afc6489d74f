//! Which roles exist for which users, and who may hand out which. Platform roles
//! (`platform_admin`, `platform_operator`) belong to platform users, who have no
//! tenant; customer roles (`owner`, `member`, `viewer`) to users of one tenant.

use canopy_kit::FieldViolation;
use canopy_sdk::proto::canopy::options::v1::Role;

/// The two kinds of principal a role can belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    Platform,
    Customer,
}

/// The kind of `role`; `None` for `ROLE_UNSPECIFIED`.
pub fn kind_of(role: Role) -> Option<RoleKind> {
    match role {
        Role::PlatformAdmin | Role::PlatformOperator => Some(RoleKind::Platform),
        Role::Owner | Role::Member | Role::Viewer => Some(RoleKind::Customer),
        Role::Unspecified => None,
    }
}

/// A required role field of a request: unknown numbers and UNSPECIFIED are refused.
pub fn parse_required(field: &str, value: i32) -> Result<Role, FieldViolation> {
    match Role::try_from(value) {
        Ok(Role::Unspecified) => Err(FieldViolation::new(field, "is required")),
        Ok(role) => Ok(role),
        Err(_) => Err(FieldViolation::new(field, format!("{value} is not a known role"))),
    }
}

/// An optional role filter: UNSPECIFIED means any.
pub fn parse_filter(field: &str, value: i32) -> Result<Option<Role>, FieldViolation> {
    match Role::try_from(value) {
        Ok(Role::Unspecified) => Ok(None),
        Ok(role) => Ok(Some(role)),
        Err(_) => Err(FieldViolation::new(field, format!("{value} is not a known role"))),
    }
}

/// A role must fit the user it is given to: platform roles for platform users
/// (no tenant), customer roles for tenant users.
pub fn check_fits(field: &str, role: Role, for_tenant_user: bool) -> Result<(), FieldViolation> {
    match (kind_of(role), for_tenant_user) {
        (Some(RoleKind::Platform), false) | (Some(RoleKind::Customer), true) => Ok(()),
        (Some(RoleKind::Platform), true) => {
            Err(FieldViolation::new(field, "platform roles are only for platform users (no tenant)"))
        }
        (Some(RoleKind::Customer), false) => {
            Err(FieldViolation::new(field, "customer roles are only for users of a tenant"))
        }
        (None, _) => Err(FieldViolation::new(field, "is required")),
    }
}

/// Power within a kind: higher may do everything lower may.
fn rank(role: Role) -> u8 {
    match role {
        Role::PlatformAdmin => 2,
        Role::PlatformOperator => 1,
        Role::Owner => 3,
        Role::Member => 2,
        Role::Viewer => 1,
        Role::Unspecified => 0,
    }
}

/// Whether a principal with `granter` may create an API key acting as `granted`:
/// never more than the creator's own role. A platform admin may create keys for a
/// tenant with any customer role, since it administers every tenant.
pub fn may_grant(granter: Role, granted: Role) -> bool {
    match (kind_of(granter), kind_of(granted)) {
        (Some(a), Some(b)) if a == b => rank(granted) <= rank(granter),
        (Some(RoleKind::Platform), Some(RoleKind::Customer)) => granter == Role::PlatformAdmin,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_unspecified_roles_are_refused_naming_the_field() {
        assert_eq!(parse_required("role", 99).unwrap_err().field, "role");
        assert_eq!(parse_required("role", 0).unwrap_err().description, "is required");
        assert_eq!(parse_required("role", 3).unwrap(), Role::Owner);
        assert_eq!(parse_filter("role", 0).unwrap(), None);
        assert!(parse_filter("role", -1).is_err());
    }

    #[test]
    fn roles_must_fit_the_kind_of_user() {
        assert!(check_fits("role", Role::Owner, true).is_ok());
        assert!(check_fits("role", Role::PlatformOperator, false).is_ok());
        assert!(check_fits("role", Role::PlatformAdmin, true).is_err());
        assert!(check_fits("role", Role::Viewer, false).is_err());
    }

    #[test]
    fn keys_never_exceed_their_creator() {
        assert!(may_grant(Role::Owner, Role::Owner));
        assert!(may_grant(Role::Owner, Role::Viewer));
        assert!(!may_grant(Role::Member, Role::Owner));
        assert!(!may_grant(Role::Owner, Role::PlatformOperator));
        assert!(may_grant(Role::PlatformAdmin, Role::PlatformOperator));
        assert!(!may_grant(Role::PlatformOperator, Role::PlatformAdmin));
        assert!(may_grant(Role::PlatformAdmin, Role::Owner));
        assert!(!may_grant(Role::PlatformOperator, Role::Owner));
    }
}
