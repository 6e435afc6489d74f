//! The password policy: 12 to 128 characters (counted as characters, never
//! truncated, any Unicode), not on the common-password list shipped in
//! `data/common-passwords.txt`, and scoring at least 3 of 4 with zxcvbn (which also
//! sees the user's email and name, so "ann.lee@example.com2024" is weak for Ann).

use std::collections::HashSet;

use canopy_kit::FieldViolation;

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;
/// zxcvbn's "safely unguessable: moderate protection from offline slow-hash attacks".
const MIN_ZXCVBN_SCORE: u8 = 3;

const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

/// Refuses weak passwords.
pub struct PasswordPolicy {
    common: HashSet<String>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordPolicy {
    /// The policy with the shipped common-password list.
    pub fn new() -> Self {
        let common = COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_lowercase)
            .collect();
        Self { common }
    }

    /// How many passwords the list holds.
    pub fn common_password_count(&self) -> usize {
        self.common.len()
    }

    /// Checks `password` for `field`; `user_inputs` (email, name) count against it.
    /// The violation never repeats the password.
    pub fn check(&self, field: &str, password: &str, user_inputs: &[&str]) -> Result<(), FieldViolation> {
        let refuse = |description: &str| Err(FieldViolation::new(field, description));
        let length = password.chars().count();
        if length < MIN_PASSWORD_CHARS {
            return refuse("must be at least 12 characters");
        }
        if length > MAX_PASSWORD_CHARS {
            return refuse("must be at most 128 characters");
        }
        if password.trim().is_empty() {
            return refuse("must not be only whitespace");
        }
        if self.common.contains(&password.to_lowercase()) {
            return refuse("is a commonly used password; choose another");
        }
        let score: u8 = zxcvbn::zxcvbn(password, user_inputs).score().into();
        if score < MIN_ZXCVBN_SCORE {
            return refuse("is too easy to guess; use a longer passphrase of unrelated words");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        let policy = PasswordPolicy::new();
        // 12 characters but 24+ bytes: accepted on length.
        assert!(policy.check("p", "ÿñøæ€ß¥ŧħĸłđ", &[]).is_ok());
        let eleven = "ÿñøæ€ß¥ŧħĸł";
        assert_eq!(policy.check("p", eleven, &[]).unwrap_err().description, "must be at least 12 characters");
        let long = "correct horse battery staple ".repeat(5);
        assert_eq!(policy.check("p", &long[..129], &[]).unwrap_err().description, "must be at most 128 characters");
        assert!(policy.check("p", &long[..128], &[]).is_ok());
    }

    #[test]
    fn common_and_weak_passwords_are_refused_naming_the_field() {
        let policy = PasswordPolicy::new();
        assert!(policy.common_password_count() >= 300);
        let common = policy.check("new_password", "Password1234", &[]).unwrap_err();
        assert_eq!(common.field, "new_password");
        assert!(common.description.contains("commonly used"));
        let weak = policy.check("new_password", "aaaaaaaaaaaaaaa", &[]).unwrap_err();
        assert!(weak.description.contains("too easy"), "{weak:?}");
        let personal = policy.check("new_password", "ann.lee@example.com", &["ann.lee@example.com"]).unwrap_err();
        assert!(personal.description.contains("too easy"), "{personal:?}");
        assert!(policy.check("new_password", "vivid-otter-lantern-93", &[]).is_ok());
    }
}
