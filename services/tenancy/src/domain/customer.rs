//! Customers: emails and the status life cycle. Names and reasons are human text
//! (`canopy_kit::request::text`); idempotency keys are the kit's too.

use canopy_kit::FieldViolation;

/// A customer's life-cycle state, stored by its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Status {
    Creating,
    Active,
    Suspended,
    Deactivated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "creating",
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Deactivated => "deactivated",
        }
    }

    /// Whether an operator may move a customer from `self` to `to`.
    pub fn may_become(self, to: Status) -> bool {
        matches!(
            (self, to),
            (Self::Creating, Self::Active)
                | (Self::Active, Self::Suspended)
                | (Self::Suspended, Self::Active)
                | (Self::Active | Self::Suspended, Self::Deactivated)
        )
    }
}

/// Longest reason shown to users (suspension, deactivation), in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// A practical email check: one `@`, a non-empty local part of safe characters, a
/// domain that is a valid host name with a dot; at most 254 characters.
pub fn email(field: &str, value: &str, violations: &mut Vec<FieldViolation>) -> String {
    let value = value.trim();
    let valid = value.len() <= 254
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !local.starts_with('.')
                && !local.ends_with('.')
                && !local.contains("..")
                && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
                && domain.contains('.')
                && super::hostname::check(domain).is_ok()
        });
    if !valid {
        violations.push(FieldViolation::new(field, "must be an email address like name@example.com"));
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_life_cycle_allows_only_its_transitions() {
        assert!(Status::Active.may_become(Status::Suspended));
        assert!(Status::Suspended.may_become(Status::Active));
        assert!(!Status::Deactivated.may_become(Status::Active));
        assert!(!Status::Creating.may_become(Status::Suspended));
    }

    #[test]
    fn emails() {
        let mut v = Vec::new();
        email("e", "owner@example.com", &mut v);
        assert!(v.is_empty());
        for bad in
            ["", "no-at", "a@b", "a@-b.com", "a b@example.com", "a@exa\nmple.com", ".a@example.com", "a@[127.0.0.1]"]
        {
            let mut v = Vec::new();
            email("e", bad, &mut v);
            assert_eq!(v.len(), 1, "{bad:?}");
        }
    }
}
