//! Identity's types and rules, free of I/O: what a valid email, display name or
//! password is, how TOTP codes are computed, when an account locks, which roles may
//! be given to whom, a user's status, and how secrets are sealed and tokens hashed.

pub mod email;
pub mod lockout;
pub mod names;
pub mod password;
pub mod roles;
pub mod sealing;
pub mod secrets;
pub mod status;
pub mod totp;
