//! A user's account status.

/// Where a user's account stands, stored by its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum UserStatus {
    /// Invited; becomes active when the user sets a password.
    Invited,
    Active,
    /// Refused sign-in by an admin; enabling returns it to active (or invited).
    Disabled,
}

impl UserStatus {
    /// The stored name, also used in audit details.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Invited => "invited",
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }
}
