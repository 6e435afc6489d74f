//! Integration tests of the deployments API on real PostgreSQL, as the app role under
//! row-level security: enqueue, reads, cancellation of queued runs, tenant isolation and
//! the catalog audit of the `provisioner` schema. No workers run here; the queue with
//! workers is tested in `canopy-provisioner`.

mod queue;
mod support;
