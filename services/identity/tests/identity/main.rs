//! Integration tests of the identity service.
