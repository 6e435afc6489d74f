//! Planning without Terraform: the resource addresses the sandbox executor walks
//! through follow the inputs the way `terraform plan` would.

use std::collections::{BTreeMap, BTreeSet};

use canopy_terraform::{CloudProvider, PlannedResource, SiteContract, SiteRuntime, SiteVariables, plan_site};

use crate::terraform_root;

fn site(provider: CloudProvider, size: &str, database: bool, storage: bool) -> SiteVariables {
    let contract = SiteContract::load(&terraform_root()).expect("the contract loads");
    SiteVariables {
        site_id: "0192f5e4-7b1c-7cc3-9a51-3f7d2c8e4b10".to_owned(),
        customer_id: "0192f5e4-11aa-7bbb-8ccc-0123456789ab".to_owned(),
        name: "corner-shop".to_owned(),
        region: contract.provider(provider).expect("listed").regions[0].clone(),
        size: size.to_owned(),
        database_enabled: database,
        storage_enabled: storage,
        runtime: SiteRuntime { image: "ghcr.io/acme/shop:1.4.2".to_owned(), port: 8080, env: BTreeMap::new() },
        tags: BTreeMap::new(),
    }
}

fn addresses(planned: &[PlannedResource]) -> BTreeSet<String> {
    planned.iter().map(|resource| resource.address.clone()).collect()
}

#[test]
fn a_database_and_a_bucket_appear_only_when_asked_for() {
    let root = terraform_root();
    let bare = plan_site(&root, CloudProvider::Aws, &site(CloudProvider::Aws, "small", false, false)).expect("plans");
    let full = plan_site(&root, CloudProvider::Aws, &site(CloudProvider::Aws, "small", true, true)).expect("plans");
    let bare = addresses(&bare);
    let full = addresses(&full);
    assert!(bare.contains("module.compute.aws_ecs_service.this"));
    assert!(!bare.iter().any(|address| address.starts_with("module.database")));
    assert!(full.contains("module.database[0].aws_db_instance.this"));
    assert!(full.contains("module.storage[0].aws_s3_bucket.this"));
    assert!(!full.contains("module.database[0].aws_db_instance.replica[0]"), "no replica unless asked for");
}

#[test]
fn counts_decided_by_module_defaults_are_expanded() {
    let planned = plan_site(&terraform_root(), CloudProvider::Aws, &site(CloudProvider::Aws, "small", false, false))
        .expect("plans");
    let planned = addresses(&planned);
    // az_count defaults to 2 and a single NAT gateway is shared.
    assert!(planned.contains("module.network.aws_subnet.private[1]"));
    assert!(!planned.contains("module.network.aws_subnet.private[2]"));
    assert!(planned.contains("module.network.aws_nat_gateway.this[0]"));
    assert!(!planned.contains("module.network.aws_nat_gateway.this[1]"));
    // No certificate in the contract yet, so no HTTPS listener.
    assert!(!planned.contains("module.compute.aws_lb_listener.https[0]"));
}

#[test]
fn size_decides_how_many_instances_a_droplet_or_linode_site_gets() {
    let root = terraform_root();
    for (provider, kind) in
        [(CloudProvider::DigitalOcean, "digitalocean_droplet"), (CloudProvider::Akamai, "linode_instance")]
    {
        for (size, expected) in [("small", 1), ("medium", 2), ("large", 3)] {
            let planned = plan_site(&root, provider, &site(provider, size, false, false)).expect("plans");
            let instances = planned.iter().filter(|resource| resource.kind == kind).count();
            assert_eq!(instances, expected, "{provider} {size}");
        }
    }
}

#[test]
fn every_template_plans_unique_addresses_and_marks_what_the_inputs_cannot_decide() {
    let root = terraform_root();
    for provider in CloudProvider::ALL {
        let storage = provider != CloudProvider::Akamai;
        let planned = plan_site(&root, provider, &site(provider, "large", storage, storage)).expect("plans");
        assert!(planned.len() >= 5, "{provider} plans only {} resources", planned.len());
        let unique = addresses(&planned);
        assert_eq!(unique.len(), planned.len(), "{provider} plans duplicate addresses");
        for resource in &planned {
            for condition in &resource.undetermined {
                assert!(condition.contains("count") || condition.contains("for_each"), "{condition}");
            }
        }
    }
}
