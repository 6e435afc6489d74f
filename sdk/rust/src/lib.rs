//! Canopy's public Rust SDK.
//!
//! * [`proto`]: messages, clients and servers generated from `proto/` at build time.
//! * [`FILE_DESCRIPTOR_SET`]: every contract, encoded, with comments and method options,
//!   for gRPC reflection and for reading access rules at start-up.
//! * [`Canopy`]: a typed client over TLS (or mTLS inside the mesh) with a bearer token.
//! * [`DeploymentLog`]: a deployment's log kept equal to the stored one across
//!   `WatchDeployment` reconnects.

mod client;
mod deployment_log;

pub use client::{BearerToken, Canopy, CanopyBuilder, ConnectError};
pub use deployment_log::DeploymentLog;

/// Generated code; never edited by hand (regenerated from `proto/` on every build).
pub mod proto {
    #![allow(clippy::all, missing_docs, rustdoc::all)]
    include!(concat!(env!("OUT_DIR"), "/canopy_include.rs"));
}

/// The encoded `google.protobuf.FileDescriptorSet` of every Canopy contract and its imports.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/canopy_descriptor.bin"));
