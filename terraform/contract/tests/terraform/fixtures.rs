//! Each fixture under `tests/fixtures` breaks one rule; the matching check reports
//! exactly that, and says what is wrong in plain words.

use canopy_terraform::{
    CloudProvider, Module, SiteContract, TagPolicy, Violation, ViolationKind, check_module_calls, check_site_template,
    check_tags, check_variables, check_versions,
};

use crate::{describe, fixture, terraform_root};

fn load(name: &str) -> Module {
    Module::load(&fixture(name)).unwrap_or_else(|error| panic!("fixture {name} loads: {error}"))
}

fn assert_only(violations: &[Violation], expected: &[(ViolationKind, &str)]) {
    let kinds: Vec<ViolationKind> = violations.iter().map(|violation| violation.kind).collect();
    let expected_kinds: Vec<ViolationKind> = expected.iter().map(|(kind, _)| *kind).collect();
    assert_eq!(kinds, expected_kinds, "unexpected violations:\n{}", describe(violations));
    for (violation, (_, words)) in violations.iter().zip(expected) {
        assert!(violation.message.contains(words), "expected {words:?} in {:?}", violation.message);
    }
}

#[test]
fn an_undeclared_variable_is_reported_with_its_name() {
    let violations = check_variables(&load("undeclared_variable"));
    assert_only(
        &violations,
        &[(ViolationKind::UndeclaredVariable, "var.cidr_block is used but no variable \"cidr_block\" is declared")],
    );
    assert!(violations[0].file.ends_with("undeclared_variable/main.tf"));
}

#[test]
fn an_untyped_variable_is_reported() {
    assert_only(
        &check_variables(&load("untyped_variable")),
        &[(ViolationKind::UntypedVariable, "variable \"cidr_block\" has no type")],
    );
}

#[test]
fn a_module_call_missing_a_required_argument_is_reported() {
    assert_only(
        &check_module_calls(&load("module_calls/missing_argument")),
        &[(ViolationKind::MissingModuleArgument, "module \"network\" does not pass name, which ../child requires")],
    );
}

#[test]
fn a_module_call_passing_an_unknown_argument_is_reported() {
    assert_only(
        &check_module_calls(&load("module_calls/unknown_argument")),
        &[(
            ViolationKind::UnknownModuleArgument,
            "module \"network\" passes az_count, which ../child does not declare",
        )],
    );
}

#[test]
fn a_reference_to_a_missing_module_output_is_reported() {
    assert_only(
        &check_module_calls(&load("module_calls/missing_output")),
        &[(ViolationKind::MissingModuleOutput, "module.network.private_subnet_ids is used but ../child has no output")],
    );
}

#[test]
fn module_sources_that_cannot_be_followed_are_reported() {
    assert_only(
        &check_module_calls(&load("module_calls/unresolvable_source")),
        &[
            (ViolationKind::UnresolvableModuleSource, "../does-not-exist"),
            (ViolationKind::UnresolvableModuleSource, "only local paths"),
        ],
    );
}

#[test]
fn a_taggable_resource_without_tags_is_reported() {
    assert_only(
        &check_tags(&load("untagged_resource"), TagPolicy::ForwardTagsInput),
        &[(ViolationKind::MissingTags, "aws_subnet.this has no tags")],
    );
}

#[test]
fn tags_that_do_not_come_from_the_tags_input_are_reported_even_through_locals() {
    assert_only(
        &check_tags(&load("tags_not_forwarded"), TagPolicy::ForwardTagsInput),
        &[(ViolationKind::MissingTags, "aws_internet_gateway.this.tags does not use var.tags")],
    );
}

#[test]
fn a_resource_type_missing_from_the_tagging_lists_is_reported() {
    assert_only(
        &check_tags(&load("unknown_resource_type"), TagPolicy::ForwardTagsInput),
        &[(ViolationKind::UnknownResourceType, "aws_ec2_transit_gateway_peering_attachment_accepter")],
    );
}

#[test]
fn unpinned_providers_are_reported() {
    assert_only(
        &check_versions(&load("unpinned_provider")),
        &[
            (
                ViolationKind::UnpinnedProvider,
                "aws has version constraint \">= 5.0\", which accepts any future major version",
            ),
            (ViolationKind::UnpinnedProvider, "random has no version constraint"),
        ],
    );
}

fn check_fixture_site(name: &str) -> Vec<Violation> {
    let contract = SiteContract::load(&terraform_root()).expect("the real contract loads");
    check_site_template(&load(name), &contract, CloudProvider::Aws)
}

#[test]
fn a_site_template_with_an_extra_input_is_reported() {
    assert_only(
        &check_fixture_site("site_extra_input"),
        &[(ViolationKind::ContractInputUnexpected, "input instance_type is not in the site contract")],
    );
}

#[test]
fn a_site_template_missing_a_contract_input_is_reported() {
    assert_only(
        &check_fixture_site("site_missing_input"),
        &[(ViolationKind::ContractInputMissing, "contract input runtime is not declared")],
    );
}

#[test]
fn a_site_template_offering_other_regions_than_the_catalogue_is_reported() {
    assert_only(
        &check_fixture_site("site_wrong_regions"),
        &[(ViolationKind::RegionsMismatch, "missing ap-northeast-1; not in the contract sa-east-1")],
    );
}

#[test]
fn a_site_template_that_drops_the_cost_tags_is_reported() {
    let contract = SiteContract::load(&terraform_root()).expect("the real contract loads");
    assert_only(
        &check_tags(&load("site_without_cost_tags"), TagPolicy::CostTags(&contract.cost_tags)),
        &[
            (ViolationKind::MissingCostTags, "aws_s3_bucket.this.tags does not carry the cost tags canopy_customer_id"),
            (
                ViolationKind::MissingCostTags,
                "module \"network\" argument tags does not carry the cost tags canopy_site_id, canopy_customer_id",
            ),
        ],
    );
}
