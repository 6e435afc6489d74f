//! Integration tests of the tenancy service.
