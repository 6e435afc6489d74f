//! The one integration-test binary of canopy-terraform: the checks on the real
//! `terraform/` tree, on fixtures of broken modules, the provisioner contract, planning,
//! and `terraform fmt`/`validate` when a Terraform binary is available.

mod cli;
mod contract;
mod fixtures;
mod plan;
mod plan_json;
mod tree;

use std::path::{Path, PathBuf};

/// The repository's `terraform/` directory.
pub fn terraform_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the crate lives in terraform/contract").to_path_buf()
}

/// A fixture directory under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Renders violations one per line for assertion messages.
pub fn describe(violations: &[canopy_terraform::Violation]) -> String {
    violations.iter().map(|violation| format!("  {violation} [{:?}]", violation.kind)).collect::<Vec<_>>().join("\n")
}
