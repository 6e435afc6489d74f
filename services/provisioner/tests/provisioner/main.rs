//! Integration tests of the provisioner: the queue on real PostgreSQL (as the app role,
//! under row-level security), workers with leases and fencing, the sandbox executor on
//! the real templates, and the Terraform executor driving the `terraform-standin`
//! program, which speaks Terraform's `-json` machine-readable UI.

mod queue;
mod sandbox;
mod support;
mod terraform;
mod workspace;
