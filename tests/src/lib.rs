//! Cross-service integration tests live in `integration/`; this crate has no library code.
