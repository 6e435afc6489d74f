//! The contract shared with the provisioner: what it writes matches what every template
//! declares, and bad requests are refused with the allowed values.

use std::collections::{BTreeMap, BTreeSet};

use canopy_terraform::{CloudProvider, SiteContract, SiteRuntime, SiteVariables, site_template_inputs};

use crate::terraform_root;

fn shop(region: &str) -> SiteVariables {
    SiteVariables {
        site_id: "0192f5e4-7b1c-7cc3-9a51-3f7d2c8e4b10".to_owned(),
        customer_id: "0192f5e4-11aa-7bbb-8ccc-0123456789ab".to_owned(),
        name: "corner-shop".to_owned(),
        region: region.to_owned(),
        size: "medium".to_owned(),
        database_enabled: false,
        storage_enabled: false,
        runtime: SiteRuntime {
            image: "ghcr.io/acme/shop:1.4.2".to_owned(),
            port: 8080,
            env: BTreeMap::from([("LOG_LEVEL".to_owned(), "info".to_owned())]),
        },
        tags: BTreeMap::new(),
    }
}

#[test]
fn the_variables_the_provisioner_writes_are_exactly_what_every_template_declares() {
    let root = terraform_root();
    let contract = SiteContract::load(&root).expect("the contract loads");
    let written = shop("eu-west-1").to_tfvars_json();
    let written_names: BTreeSet<String> =
        written.as_object().expect("tfvars are a JSON object").keys().cloned().collect();
    for provider in CloudProvider::ALL {
        let inputs = site_template_inputs(&root, provider).expect("the template loads");
        let declared: BTreeSet<String> = inputs.iter().map(|input| input.name.clone()).collect();
        assert_eq!(declared, written_names, "{provider} declares different inputs than SiteVariables writes");
        for input in &inputs {
            let expected = contract.input(&input.name).expect("every declared input is in the contract");
            assert_eq!(
                input.type_expr,
                expected.canonical_type().expect("contract types parse"),
                "{provider} input {} type",
                input.name
            );
            assert_eq!(input.required, expected.required, "{provider} input {} required", input.name);
        }
    }
}

#[test]
fn the_runtime_input_is_written_in_the_shape_its_object_type_declares() {
    let written = shop("eu-west-1").to_tfvars_json();
    assert_eq!(written["runtime"]["port"], 8080);
    assert_eq!(written["runtime"]["image"], "ghcr.io/acme/shop:1.4.2");
    assert_eq!(written["runtime"]["env"]["LOG_LEVEL"], "info");
    assert_eq!(written["database_enabled"], false);
}

#[test]
fn every_provider_in_the_catalogue_offers_six_regions_and_the_three_sizes() {
    let contract = SiteContract::load(&terraform_root()).expect("the contract loads");
    assert_eq!(contract.sizes, ["small", "medium", "large"]);
    for provider in CloudProvider::ALL {
        let offer = contract.provider(provider).expect("every provider is in the contract");
        assert_eq!(offer.regions.len(), 6, "{provider} regions");
        assert_eq!(offer.template, provider.as_str());
    }
}

#[test]
fn a_valid_request_has_no_violations_on_any_provider() {
    let contract = SiteContract::load(&terraform_root()).expect("the contract loads");
    for provider in CloudProvider::ALL {
        let region = &contract.provider(provider).expect("listed").regions[0];
        let problems = shop(region).violations(&contract, provider);
        assert!(problems.is_empty(), "{provider}: {problems:?}");
    }
}

#[test]
fn bad_regions_sizes_and_names_are_refused_with_what_is_allowed() {
    let contract = SiteContract::load(&terraform_root()).expect("the contract loads");
    let mut request = shop("mars-north-1");
    request.size = "huge".to_owned();
    request.name = "Corner_Shop".to_owned();
    let problems = request.violations(&contract, CloudProvider::Aws);
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems.iter().any(|problem| problem.starts_with("region must be one of us-east-1, us-west-2")));
    assert!(problems.iter().any(|problem| problem == "size must be one of small, medium, large, got \"huge\""));
    assert!(problems.iter().any(|problem| problem.starts_with("name must be a DNS label")));
}

#[test]
fn akamai_refuses_a_database_because_its_template_has_none() {
    let contract = SiteContract::load(&terraform_root()).expect("the contract loads");
    let mut request = shop("eu-central");
    request.database_enabled = true;
    assert_eq!(request.violations(&contract, CloudProvider::Akamai), ["akamai sites cannot have a database"]);
}
