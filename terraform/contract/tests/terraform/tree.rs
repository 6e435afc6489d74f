//! The real modules and site templates pass every check.

use canopy_terraform::{CloudProvider, check_tree, module_dirs};

use crate::{describe, terraform_root};

#[test]
fn the_real_terraform_tree_has_no_violations() {
    let violations = check_tree(&terraform_root()).expect("the contract loads");
    assert!(violations.is_empty(), "violations in terraform/:\n{}", describe(&violations));
}

#[test]
fn every_module_the_issue_asks_for_exists() {
    let expected = [
        "aws/network",
        "aws/compute",
        "aws/database",
        "aws/storage",
        "azure/network",
        "azure/compute",
        "azure/database",
        "azure/storage",
        "gcp/network",
        "gcp/compute",
        "gcp/database",
        "gcp/storage",
        "digitalocean/network",
        "digitalocean/compute",
        "digitalocean/database",
        "digitalocean/storage",
        "akamai/network",
        "akamai/compute",
    ];
    let root = terraform_root();
    let found: Vec<String> = module_dirs(&root)
        .expect("modules/ is readable")
        .iter()
        .map(|dir| dir.strip_prefix(root.join("modules")).expect("under modules/").display().to_string())
        .collect();
    for module in expected {
        assert!(found.iter().any(|dir| dir == module), "modules/{module} is missing; found {found:?}");
    }
}

#[test]
fn every_provider_has_a_site_template() {
    for provider in CloudProvider::ALL {
        let dir = provider.site_template_dir(&terraform_root());
        assert!(dir.join("main.tf").is_file(), "{} has no main.tf", dir.display());
    }
}
