//! `terraform fmt -check` (and `validate` when provider plugins are cached) when a
//! Terraform or OpenTofu binary is available; otherwise the test says it skipped them.

use std::path::{Path, PathBuf};
use std::process::Command;

use canopy_terraform::CloudProvider;

use crate::terraform_root;

/// `CANOPY_TERRAFORM_BIN` (as the provisioner uses), else `terraform`, else `tofu` on PATH.
fn terraform_binary() -> Option<PathBuf> {
    if let Some(configured) = std::env::var_os("CANOPY_TERRAFORM_BIN") {
        return Some(PathBuf::from(configured));
    }
    let path = std::env::var_os("PATH")?;
    ["terraform", "tofu"]
        .iter()
        .find_map(|name| std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file()))
}

fn run(binary: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(binary)
        .args(args)
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", binary.display()))
}

#[test]
fn terraform_fmt_finds_nothing_to_reformat() {
    let Some(binary) = terraform_binary() else {
        println!("skipped terraform fmt -check: neither terraform nor tofu is on PATH");
        return;
    };
    let output = run(&binary, &terraform_root(), &["fmt", "-check", "-recursive", "-diff"]);
    assert!(
        output.status.success(),
        "{} fmt -check -recursive failed; run it without -check to fix:\n{}{}",
        binary.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Validating needs provider plugins, which need the registry; only a local plugin
/// directory (`TF_PLUGIN_CACHE_DIR`) makes that possible offline.
#[test]
fn site_templates_validate_when_provider_plugins_are_cached() {
    let Some(binary) = terraform_binary() else {
        println!("skipped terraform validate: neither terraform nor tofu is on PATH");
        return;
    };
    let Some(plugin_dir) = std::env::var_os("TF_PLUGIN_CACHE_DIR").map(PathBuf::from).filter(|dir| dir.is_dir()) else {
        println!(
            "skipped terraform validate: no provider plugins cached (set TF_PLUGIN_CACHE_DIR to a populated plugin cache)"
        );
        return;
    };
    let copy = tempfile::tempdir().expect("temporary directory");
    copy_tree(&terraform_root(), copy.path());
    let plugin_arg = format!("-plugin-dir={}", plugin_dir.display());
    for provider in CloudProvider::ALL {
        let dir = provider.site_template_dir(copy.path());
        let init = run(&binary, &dir, &["init", "-backend=false", "-input=false", &plugin_arg]);
        if !init.status.success() {
            println!(
                "skipped terraform validate for {provider}: init could not find its providers in {}",
                plugin_dir.display()
            );
            continue;
        }
        let validate = run(&binary, &dir, &["validate", "-no-color"]);
        assert!(
            validate.status.success(),
            "terraform validate failed for {provider}:\n{}{}",
            String::from_utf8_lossy(&validate.stdout),
            String::from_utf8_lossy(&validate.stderr)
        );
    }
}

/// Copies the `.tf` tree (not the Rust crate) so `init` does not write into the repository.
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("readable directory") {
        let entry = entry.expect("readable entry");
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            if entry.file_name() == "contract" || entry.file_name() == ".terraform" {
                continue;
            }
            std::fs::create_dir_all(&target).expect("create directory");
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy file");
        }
    }
}
