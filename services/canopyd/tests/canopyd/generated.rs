//! The checked-in files derived from the service manifests (`mesh/policy.toml`,
//! `mesh/kubernetes/*.yaml`) match what the manifests generate now.

use canopy_kit::testing::repo_root;

#[test]
fn generated_mesh_policy_and_kubernetes_manifests_are_up_to_date() {
    let registry = canopyd::registry::registry().expect("the registry is valid");
    let stale = canopyd::generate::stale_files(&registry, &repo_root());
    assert!(stale.is_empty(), "stale generated files {stale:?}: run `cargo run -p canopyd -- generate` and commit");
}

#[test]
fn a_changed_manifest_makes_the_checked_in_files_stale() {
    let registry = canopyd::registry::registry().unwrap();
    let copy = tempfile::tempdir().unwrap();
    canopyd::generate::write(&registry, copy.path()).unwrap();
    assert!(canopyd::generate::stale_files(&registry, copy.path()).is_empty());

    // Edit the policy by hand, and leave a manifest behind for a service that is gone.
    let policy = copy.path().join("mesh/policy.toml");
    let edited = std::fs::read_to_string(&policy).unwrap().replace("callers = [\"tenancy\"]", "callers = [\"sites\"]");
    std::fs::write(&policy, edited).unwrap();
    std::fs::write(copy.path().join("mesh/kubernetes/billing.yaml"), "kind: Deployment\n").unwrap();
    let stale = canopyd::generate::stale_files(&registry, copy.path());
    assert_eq!(
        stale,
        [std::path::PathBuf::from("mesh/policy.toml"), std::path::PathBuf::from("mesh/kubernetes/billing.yaml")]
    );
}
