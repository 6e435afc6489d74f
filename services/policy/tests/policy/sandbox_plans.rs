//! The built-in kinds on the plans the sandbox really produces: the site templates of
//! all five clouds rendered by `canopy_terraform::plan_json`, exactly as the sandbox
//! executor hands them to the policy check. Each case says whether the kind blocks
//! the site; and the AWS template's hand-made `terraform show -json` document
//! (terraform/contract/tests/fixtures/aws-plan.json) gets the same decisions as the
//! sandbox's rendering of the same site.

use std::collections::BTreeMap;
use std::path::PathBuf;

use canopy_policy::engine::builtin::{BuiltinPolicy, ResourceLimits, Security};
use canopy_policy::engine::evaluator::Limits;
use canopy_terraform::{CloudProvider, PlanAction, SiteRuntime, SiteVariables};
use serde_json::Value;

use crate::support::{contract, evaluator, input, module};

fn terraform_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../terraform")
}

/// A site as the sites service would pass it; the first region the contract offers.
fn site(provider: CloudProvider, size: &str, database: bool) -> SiteVariables {
    let contract = contract();
    let facts = contract.provider(provider).expect("in the contract");
    SiteVariables {
        site_id: "0192f5e4-7b1c-7cc3-9a51-3f7d2c8e4b10".to_owned(),
        customer_id: "0192f5e4-11aa-7bbb-8ccc-0123456789ab".to_owned(),
        name: "corner-shop".to_owned(),
        region: facts.regions[0].clone(),
        size: size.to_owned(),
        database_enabled: database && facts.database,
        storage_enabled: false,
        runtime: SiteRuntime { image: "nginx:1.27".to_owned(), port: 8080, env: BTreeMap::new() },
        tags: BTreeMap::new(),
    }
}

/// The policy input the check would build for `variables` with `plan`.
fn input_for(provider: CloudProvider, variables: &SiteVariables, plan: Value) -> Value {
    let mut document = input(provider.as_str(), &variables.region, plan);
    document.site.size = variables.size.clone();
    document.site.database_enabled = variables.database_enabled;
    document.site.name = variables.name.clone();
    document.to_json()
}

/// What the sandbox plans for the site, wrapped in `module "site"` as the provisioner does.
fn sandbox_plan(provider: CloudProvider, variables: &SiteVariables) -> Value {
    canopy_terraform::plan_json_in_module(&terraform_root(), provider, variables, PlanAction::Create, "site")
        .expect("the template renders")
}

/// (deny, warn) of one built-in policy on one input.
async fn decide(policy: &BuiltinPolicy, input: &Value) -> (Vec<String>, Vec<String>) {
    let rego = policy.to_rego(&contract());
    let outcomes = evaluator(Limits::default()).evaluate(&[module("case", &rego)], input).await.expect("evaluates");
    let outcome = outcomes.into_iter().next().expect("one outcome");
    assert_eq!(outcome.error, None, "the built-in policy failed to evaluate:\n{rego}");
    (outcome.deny, outcome.warn)
}

struct Case {
    what: &'static str,
    policy: BuiltinPolicy,
    size: &'static str,
    database: bool,
    /// Whether the policy must deny the site, per provider (`None`: the same for all).
    blocks: fn(CloudProvider) -> bool,
}

fn other_provider(provider: CloudProvider) -> CloudProvider {
    if provider == CloudProvider::Aws { CloudProvider::Gcp } else { CloudProvider::Aws }
}

fn cases(provider: CloudProvider) -> Vec<Case> {
    let contract = contract();
    let has_database = contract.provider(provider).expect("listed").database;
    vec![
        Case {
            what: "its own cloud allowed",
            policy: BuiltinPolicy::ResourceLimits(ResourceLimits {
                allowed_providers: vec![provider],
                ..ResourceLimits::default()
            }),
            size: "small",
            database: false,
            blocks: |_| false,
        },
        Case {
            what: "only another cloud allowed",
            policy: BuiltinPolicy::ResourceLimits(ResourceLimits {
                allowed_providers: vec![other_provider(provider)],
                ..ResourceLimits::default()
            }),
            size: "small",
            database: false,
            blocks: |_| true,
        },
        Case {
            what: "a large site where small is the most",
            policy: BuiltinPolicy::ResourceLimits(ResourceLimits {
                max_size: Some("small".to_owned()),
                ..ResourceLimits::default()
            }),
            size: "large",
            database: false,
            blocks: |_| true,
        },
        Case {
            what: "a small site where small is the most",
            policy: BuiltinPolicy::ResourceLimits(ResourceLimits {
                max_size: Some("small".to_owned()),
                ..ResourceLimits::default()
            }),
            size: "small",
            database: false,
            blocks: |_| false,
        },
        Case {
            what: "a database where none is allowed",
            policy: BuiltinPolicy::ResourceLimits(ResourceLimits {
                database_allowed: false,
                ..ResourceLimits::default()
            }),
            size: "small",
            database: true,
            // Akamai sites have no managed database to ask for.
            blocks: if has_database { |_| true } else { |_| false },
        },
        Case {
            what: "no database where none is allowed",
            policy: BuiltinPolicy::ResourceLimits(ResourceLimits {
                database_allowed: false,
                ..ResourceLimits::default()
            }),
            size: "small",
            database: false,
            blocks: |_| false,
        },
        Case {
            what: "the cost tags the templates always set",
            policy: BuiltinPolicy::Security(Security {
                required_tags: vec!["canopy_site_id".to_owned(), "canopy_customer_id".to_owned()],
                ..Security::default()
            }),
            size: "small",
            database: true,
            blocks: |_| false,
        },
        Case {
            what: "a tag no template sets",
            policy: BuiltinPolicy::Security(Security {
                required_tags: vec!["cost_center".to_owned()],
                ..Security::default()
            }),
            size: "small",
            database: false,
            blocks: |_| true,
        },
        Case {
            what: "databases kept private and encrypted, as the templates make them",
            policy: BuiltinPolicy::Security(Security {
                no_public_database: true,
                storage_encrypted: true,
                ..Security::default()
            }),
            size: "small",
            database: true,
            blocks: |_| false,
        },
    ]
}

#[tokio::test]
async fn built_in_kinds_decide_on_every_cloud_s_sandbox_plan() {
    let mut wrong = Vec::new();
    for provider in CloudProvider::ALL {
        for case in cases(provider) {
            let variables = site(provider, case.size, case.database);
            let document = input_for(provider, &variables, sandbox_plan(provider, &variables));
            let (deny, _) = decide(&case.policy, &document).await;
            let expected = (case.blocks)(provider);
            if deny.is_empty() == expected {
                wrong.push(format!(
                    "{provider}: {} — expected {}, denied {deny:?}",
                    case.what,
                    if expected { "a denial" } else { "none" }
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "built-in policies decided wrongly on sandbox plans:\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn the_sandbox_plan_and_the_terraform_plan_of_the_aws_template_get_the_same_decisions() {
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(terraform_root().join("contract/tests/fixtures/aws-plan.json")).expect("the fixture"),
    )
    .expect("JSON");
    // The site the fixture renders: its variables are in the plan.
    let variables: SiteVariables = serde_json::from_value(
        fixture["variables"]
            .as_object()
            .expect("variables")
            .iter()
            .map(|(k, v)| (k.clone(), v["value"].clone()))
            .collect(),
    )
    .expect("the fixture's variables are a site's");
    let sandbox = canopy_terraform::plan_json(&terraform_root(), CloudProvider::Aws, &variables, PlanAction::Create)
        .expect("renders");
    let mut compared = 0;
    for case in cases(CloudProvider::Aws) {
        let from_terraform = decide(&case.policy, &input_for(CloudProvider::Aws, &variables, fixture.clone())).await;
        let from_sandbox = decide(&case.policy, &input_for(CloudProvider::Aws, &variables, sandbox.clone())).await;
        assert_eq!(from_terraform, from_sandbox, "{}: the two plans were decided differently", case.what);
        compared += 1;
    }
    // And the security rules that read resource attributes, one by one.
    for policy in [
        Security { storage_encrypted: true, ..Security::default() },
        Security { no_public_database: true, ..Security::default() },
        Security { tls_listeners_only: true, ..Security::default() },
        Security { allowed_ingress_ports: Some(vec![443]), ..Security::default() },
        Security { required_tags: vec!["managed_by".to_owned()], ..Security::default() },
    ] {
        let policy = BuiltinPolicy::Security(policy);
        let from_terraform = decide(&policy, &input_for(CloudProvider::Aws, &variables, fixture.clone())).await;
        let from_sandbox = decide(&policy, &input_for(CloudProvider::Aws, &variables, sandbox.clone())).await;
        assert_eq!(from_terraform, from_sandbox, "{policy:?}: the two plans were decided differently");
        compared += 1;
    }
    assert_eq!(compared, cases(CloudProvider::Aws).len() + 5);
}
