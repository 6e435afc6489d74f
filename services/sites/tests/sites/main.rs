//! Integration tests of the sites service with identity, tenancy and the
//! provisioner (sandbox executor) running for real.

mod deployments;
mod fleet;
mod sites;
mod support;
