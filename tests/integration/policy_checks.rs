//! Policies checked on every deployment's plan before apply, end to end through every
//! service: the sandbox plans the real template, the provisioner asks the policy
//! service, and the deployment's status and log say what happened, live.
//!
//! * hard-mandatory denial → FAILED, each message in the log;
//! * soft-mandatory denial → AWAITING_OVERRIDE; an owner may not override the
//!   platform's policy; a platform admin overrides with a reason → SUCCEEDED; another
//!   run is discarded → CANCELLED;
//! * advisory denial → warnings in the log, SUCCEEDED;
//! * a Rego module that runs away is stopped by the limits → FAILED with the reason;
//! * customers never see the platform's Rego, and compliance reflects what was applied.

use std::time::{Duration, Instant};

use canopy_kit::testing::{TestEnv, TestServices};
use canopy_sdk::proto::canopy::audit::v1 as audit;
use canopy_sdk::proto::canopy::audit::v1::audit_service_client::AuditServiceClient;
use canopy_sdk::proto::canopy::common::v1::CloudProvider;
use canopy_sdk::proto::canopy::policy::v1 as policy;
use canopy_sdk::proto::canopy::policy::v1::compliance_service_client::ComplianceServiceClient;
use canopy_sdk::proto::canopy::policy::v1::policy_service_client::PolicyServiceClient;
use canopy_sdk::proto::canopy::sites::v1 as sites;
use canopy_sdk::proto::canopy::sites::v1::site_service_client::SiteServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1 as tenancy;
use canopy_sdk::proto::canopy::tenancy::v1::customer_service_client::CustomerServiceClient;

use crate::isolation::{login, tenant};

type Policies = PolicyServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, canopy_sdk::BearerToken>,
>;

async fn policies(services: &TestServices, token: &str) -> Policies {
    let canopy = services.client("policy", "gateway").await.with_token(token);
    PolicyServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
}

async fn compliance(
    services: &TestServices,
    token: &str,
) -> ComplianceServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, canopy_sdk::BearerToken>,
> {
    let canopy = services.client("policy", "gateway").await.with_token(token);
    ComplianceServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
}

fn rego_policy(name: &str, level: policy::EnforcementLevel, rego: &str) -> policy::PolicySpec {
    policy::PolicySpec {
        name: name.into(),
        description: format!("{name} (test)"),
        enforcement: level as i32,
        enabled: true,
        scope: None,
        definition: Some(policy::policy_spec::Definition::Rego(rego.into())),
    }
}

/// Denies sites whose name starts with `prefix`.
fn deny_prefix(prefix: &str) -> String {
    format!(
        "package canopy.test\nimport rego.v1\n\ndeny contains msg if {{\n  startswith(input.site.name, \"{prefix}\")\n  msg := sprintf(\"sites named %s are not allowed\", [input.site.name])\n}}\n"
    )
}

async fn create_site(services: &TestServices, token: &str, name: &str) -> String {
    let canopy = services.client("sites", "gateway").await.with_token(token);
    SiteServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
        .create_site(sites::CreateSiteRequest {
            idempotency_key: format!("policy-{name}"),
            name: name.into(),
            provider: CloudProvider::Aws as i32,
            region: "eu-west-1".into(),
            size: sites::SiteSize::Small as i32,
            database_enabled: true,
            runtime: Some(sites::Runtime { image: "nginx:1.27".into(), port: 80, env: Default::default() }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .deployment
        .unwrap()
        .id
}

async fn deployment(services: &TestServices, token: &str, id: &str) -> sites::Deployment {
    let canopy = services.client("sites", "gateway").await.with_token(token);
    SiteServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
        .get_deployment(sites::GetDeploymentRequest { deployment_id: id.into() })
        .await
        .unwrap()
        .into_inner()
        .deployment
        .unwrap()
}

async fn wait_for_status(services: &TestServices, token: &str, id: &str, status: sites::DeploymentStatus) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let current = deployment(services, token, id).await;
        if current.status() == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "deployment {id} is {:?}, not {status:?}: {}\n{}",
            current.status(),
            current.error,
            log(services, token, id).await.join("\n")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The deployment's log as it stands.
async fn log(services: &TestServices, token: &str, id: &str) -> Vec<String> {
    let canopy = services.client("sites", "gateway").await.with_token(token);
    let mut stream = SiteServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
        .watch_deployment(sites::WatchDeploymentRequest { deployment_id: id.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let mut lines = Vec::new();
    while let Ok(Ok(Some(message))) = tokio::time::timeout(Duration::from_millis(500), stream.message()).await {
        if let Some(event) = message.event {
            lines.push(format!("[{}] {}", event.level, event.message));
        }
    }
    lines
}

async fn check_of(services: &TestServices, token: &str, deployment_id: &str) -> policy::PolicyCheck {
    compliance(services, token)
        .await
        .get_policy_check(policy::GetPolicyCheckRequest { deployment_id: deployment_id.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .check
        .unwrap()
}

#[tokio::test]
async fn hard_soft_and_advisory_policies_decide_deployments_live() {
    let mut env = TestEnv::new().await;
    env.config.set_section_value("provisioner", "sandbox_step_millis", serde_json::json!(5));
    env.config.set_section_value("provisioner", "policy_poll_secs", serde_json::json!(0.1));
    env.config.set_section_value("policy", "evaluation_time_ms", serde_json::json!(500));
    env.config.set_section_value("policy", "compliance_interval_ms", serde_json::json!(100));
    let services = env.spawn(canopyd::registry::MANIFESTS).await;
    let database = canopy_kit::db::Database::connect(&env.config.database).await.unwrap();
    let password = canopy_identity::ensure_platform_admin(&database, "admin@policy.test").await.unwrap().unwrap();
    let admin = login(&services, "admin@policy.test", &password).await;
    let customer = tenant(&services, &admin, "guarded").await;
    let owner = customer.token.clone();
    // Six sites and a deployment each: more than the default plan allows.
    let canopy = services.client("tenancy", "gateway").await.with_token(&admin);
    CustomerServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
        .update_customer(tenancy::UpdateCustomerRequest {
            customer_id: customer.id.clone(),
            quota_overrides: Some(tenancy::Limits {
                max_sites: 20,
                max_deployments_per_month: 100,
                rate_tier: tenancy::RateTier::Standard as i32,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap();

    let mut admin_policies = policies(&services, &admin).await;
    let create =
        |spec: policy::PolicySpec, customer_id: String| policy::CreatePolicyRequest { customer_id, policy: Some(spec) };
    let hard = admin_policies
        .create_policy(create(
            rego_policy("no-hard-sites", policy::EnforcementLevel::HardMandatory, &deny_prefix("hard-")),
            String::new(),
        ))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    admin_policies
        .create_policy(create(
            rego_policy("no-soft-sites", policy::EnforcementLevel::SoftMandatory, &deny_prefix("soft-")),
            String::new(),
        ))
        .await
        .unwrap();
    // Runs away: numbers.range builds a huge array, then the comprehension walks it.
    let runaway = "package canopy.runaway\nimport rego.v1\n\ndeny contains msg if {\n  startswith(input.site.name, \"runaway-\")\n  n := count([x | some x in numbers.range(1, 100000000000)])\n  msg := sprintf(\"%d\", [n])\n}\n";
    admin_policies
        .create_policy(create(rego_policy("runaway", policy::EnforcementLevel::HardMandatory, runaway), String::new()))
        .await
        .unwrap();
    let mut owner_policies = policies(&services, &owner).await;
    owner_policies
        .create_policy(create(
            rego_policy("no-adv-sites", policy::EnforcementLevel::Advisory, &deny_prefix("adv-")),
            String::new(),
        ))
        .await
        .unwrap();

    // Customers see the platform's policies, never their Rego.
    let seen =
        owner_policies.list_policies(policy::ListPoliciesRequest::default()).await.unwrap().into_inner().policies;
    let platform = seen.iter().find(|p| p.id == hard.id).expect("the platform policy is listed for the customer");
    assert!(platform.rego.is_empty() && platform.spec.as_ref().unwrap().definition.is_none(), "{platform:?}");
    let got = owner_policies
        .get_policy(policy::GetPolicyRequest { policy_id: hard.id.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    assert!(got.rego.is_empty(), "a customer read the platform's Rego: {got:?}");
    // …and cannot change it.
    let refused = owner_policies
        .delete_policy(policy::DeletePolicyRequest { policy_id: hard.id.clone(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::NotFound, "{refused:?}");

    // Hard-mandatory: FAILED, the message in the log.
    let hard_run = create_site(&services, &owner, "hard-shop").await;
    wait_for_status(&services, &owner, &hard_run, sites::DeploymentStatus::Failed).await;
    let lines = log(&services, &owner, &hard_run).await;
    assert!(
        lines
            .iter()
            .any(|l| l.contains("policy no-hard-sites (hard-mandatory) denied: sites named hard-shop are not allowed")),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("Apply complete")), "applied despite a hard-mandatory denial: {lines:#?}");
    let failed = deployment(&services, &owner, &hard_run).await;
    assert!(failed.error.contains("no-hard-sites"), "{failed:?}");
    assert_eq!(check_of(&services, &owner, &hard_run).await.state(), policy::PolicyCheckState::Refused);
    // The decision is in the customer's audit trail, with what the policy said.
    let canopy = services.client("audit", "gateway").await.with_token(&owner);
    let mut trail = AuditServiceClient::with_interceptor(canopy.channel(), canopy.interceptor());
    let deadline = Instant::now() + Duration::from_secs(30);
    let refused = loop {
        let events = trail
            .list_audit_events(audit::ListAuditEventsRequest {
                filter: Some(audit::AuditFilter {
                    action: "policy.check_refused".into(),
                    resource_id: hard_run.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events;
        if let Some(event) = events.into_iter().next() {
            break event.record.unwrap();
        }
        assert!(Instant::now() < deadline, "the refusal never reached the audit trail");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(refused.kind(), audit::EventKind::Decision);
    assert!(refused.summary_json.contains("sites named hard-shop are not allowed"), "{refused:?}");

    // Soft-mandatory: waits; the owner may not override the platform's policy; the admin does.
    let soft_run = create_site(&services, &owner, "soft-shop").await;
    wait_for_status(&services, &owner, &soft_run, sites::DeploymentStatus::AwaitingOverride).await;
    let waiting = check_of(&services, &owner, &soft_run).await;
    assert_eq!(waiting.state(), policy::PolicyCheckState::AwaitingOverride);
    assert!(!waiting.can_override, "an owner may not override a platform policy: {waiting:?}");
    let mut owner_compliance = compliance(&services, &owner).await;
    let denied = owner_compliance
        .override_policy_check(policy::OverridePolicyCheckRequest {
            check_id: waiting.id.clone(),
            reason: "we know better".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied, "{denied:?}");
    let mut admin_compliance = compliance(&services, &admin).await;
    let no_reason = admin_compliance
        .override_policy_check(policy::OverridePolicyCheckRequest {
            customer_id: customer.id.clone(),
            check_id: waiting.id.clone(),
            reason: "  ".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(no_reason.code(), tonic::Code::InvalidArgument, "{no_reason:?}");
    let awaiting = admin_compliance
        .list_policy_checks(policy::ListPolicyChecksRequest {
            state: policy::PolicyCheckState::AwaitingOverride as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .checks;
    assert!(awaiting.iter().any(|c| c.id == waiting.id && c.can_override), "{awaiting:?}");
    admin_compliance
        .override_policy_check(policy::OverridePolicyCheckRequest {
            customer_id: customer.id.clone(),
            check_id: waiting.id.clone(),
            reason: "migration window approved".into(),
        })
        .await
        .unwrap();
    wait_for_status(&services, &owner, &soft_run, sites::DeploymentStatus::Succeeded).await;
    let lines = log(&services, &owner, &soft_run).await;
    assert!(lines.iter().any(|l| l.contains("(soft-mandatory) denied: sites named soft-shop")), "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains("overridden by") && l.contains("migration window approved")), "{lines:#?}");

    // Soft-mandatory, discarded: CANCELLED, nothing applied.
    let discarded_run = create_site(&services, &owner, "soft-two").await;
    wait_for_status(&services, &owner, &discarded_run, sites::DeploymentStatus::AwaitingOverride).await;
    let waiting = check_of(&services, &owner, &discarded_run).await;
    owner_compliance
        .discard_policy_check(policy::DiscardPolicyCheckRequest {
            check_id: waiting.id.clone(),
            reason: "not now".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    wait_for_status(&services, &owner, &discarded_run, sites::DeploymentStatus::Cancelled).await;
    let lines = log(&services, &owner, &discarded_run).await;
    assert!(lines.iter().any(|l| l.contains("discarded by") && l.contains("not now")), "{lines:#?}");
    assert!(!lines.iter().any(|l| l.contains("Apply complete")), "{lines:#?}");

    // Advisory: warnings, then apply.
    let advisory_run = create_site(&services, &owner, "adv-shop").await;
    wait_for_status(&services, &owner, &advisory_run, sites::DeploymentStatus::Succeeded).await;
    let lines = log(&services, &owner, &advisory_run).await;
    assert!(
        lines.iter().any(|l| l.starts_with("[warn]") && l.contains("no-adv-sites (advisory) denied")),
        "{lines:#?}"
    );
    assert_eq!(check_of(&services, &owner, &advisory_run).await.state(), policy::PolicyCheckState::AdvisoryFailed);

    // A runaway module is stopped by the limits; the run fails with the reason, promptly.
    let started = Instant::now();
    let runaway_run = create_site(&services, &owner, "runaway-shop").await;
    wait_for_status(&services, &owner, &runaway_run, sites::DeploymentStatus::Failed).await;
    assert!(started.elapsed() < Duration::from_secs(60), "the runaway policy held the run for {:?}", started.elapsed());
    let lines = log(&services, &owner, &runaway_run).await;
    assert!(lines.iter().any(|l| l.contains("policy runaway (hard-mandatory) could not be evaluated")), "{lines:#?}");

    // Compliance: the applied sites, with their decisions.
    let report = owner_compliance.get_compliance(policy::GetComplianceRequest::default()).await.unwrap().into_inner();
    let soft_site = deployment(&services, &owner, &soft_run).await.site_id;
    let advisory_site = deployment(&services, &owner, &advisory_run).await.site_id;
    for site in [&soft_site, &advisory_site] {
        let entry = report.sites.iter().find(|s| &s.site_id == site).unwrap_or_else(|| panic!("{site}: {report:?}"));
        assert!(!entry.compliant, "{entry:?}");
    }
    let violations = owner_compliance
        .list_violations(policy::ListViolationsRequest { site_id: advisory_site.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .violations;
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].decision.as_ref().unwrap().policy_name, "no-adv-sites");

    // Deleting the advisory policy re-evaluates compliance: the site passes again.
    let own = owner_policies
        .list_policies(policy::ListPoliciesRequest { tier: policy::PolicyTier::Customer as i32, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .policies;
    owner_policies
        .delete_policy(policy::DeletePolicyRequest {
            policy_id: own.iter().find(|p| p.spec.as_ref().unwrap().name == "no-adv-sites").unwrap().id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let report = owner_compliance
            .get_compliance(policy::GetComplianceRequest { site_id: advisory_site.clone(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        if report.sites.first().is_some_and(|s| s.compliant) {
            break;
        }
        assert!(Instant::now() < deadline, "compliance was not re-evaluated: {report:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    use tonic_types::StatusExt as _;
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| (v.field.clone(), v.description.clone())).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn bad_policies_are_refused_field_by_field_and_nothing_is_saved() {
    let env = TestEnv::new().await;
    let services = env.spawn(canopyd::registry::MANIFESTS).await;
    let database = canopy_kit::db::Database::connect(&env.config.database).await.unwrap();
    let password = canopy_identity::ensure_platform_admin(&database, "admin@bad-policy.test").await.unwrap().unwrap();
    let admin = login(&services, "admin@bad-policy.test", &password).await;
    let customer = tenant(&services, &admin, "careless").await;
    let mut admin_policies = policies(&services, &admin).await;
    let mut owner_policies = policies(&services, &customer.token).await;
    let count = |list: policy::ListPoliciesResponse| list.policies.len();
    let platform_before =
        count(admin_policies.list_policies(policy::ListPoliciesRequest::default()).await.unwrap().into_inner());
    let own_before =
        count(owner_policies.list_policies(policy::ListPoliciesRequest::default()).await.unwrap().into_inner());

    let refused = |status: tonic::Status| {
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
        violations(&status)
    };
    let spec = |definition: policy::policy_spec::Definition| policy::PolicySpec {
        name: "careless".into(),
        enforcement: policy::EnforcementLevel::SoftMandatory as i32,
        enabled: true,
        definition: Some(definition),
        ..Default::default()
    };
    let rego = |text: &str| spec(policy::policy_spec::Definition::Rego(text.into()));
    let create = |customer_id: &str, policy: policy::PolicySpec| policy::CreatePolicyRequest {
        customer_id: customer_id.into(),
        policy: Some(policy),
    };

    // Does not compile: line and column of the error, on policy.rego.
    let status = admin_policies
        .create_policy(create("", rego("package canopy.bad\nimport rego.v1\n\ndeny contains \"x\" if { 1 + }\n")))
        .await
        .unwrap_err();
    let found = refused(status);
    assert!(found.iter().any(|(f, d)| f == "policy.rego" && d.starts_with("line 4, column")), "{found:?}");
    // No deny or warn rule.
    let status = admin_policies
        .create_policy(create("", rego("package canopy.bad\nimport rego.v1\n\nallow := true\n")))
        .await
        .unwrap_err();
    let found = refused(status);
    assert!(found.iter().any(|(f, d)| f == "policy.rego" && d.contains("`deny` or `warn`")), "{found:?}");
    // An unknown function, found by the dry run.
    let status = admin_policies
        .create_policy(create(
            "",
            rego("package canopy.bad\nimport rego.v1\n\ndeny contains msg if {\n  msg := no_such.function(1)\n}\n"),
        ))
        .await
        .unwrap_err();
    let found = refused(status);
    assert!(found.iter().any(|(f, _)| f == "policy.rego"), "{found:?}");
    // Scopes naming unknown customers or sites.
    let mut unknown_scope = rego("package canopy.ok\nimport rego.v1\n\nwarn contains \"w\" if false\n");
    unknown_scope.scope = Some(policy::PolicyScope {
        customer_id: uuid::Uuid::new_v4().to_string(),
        site_id: uuid::Uuid::new_v4().to_string(),
        labels: Default::default(),
    });
    let found = refused(admin_policies.create_policy(create("", unknown_scope)).await.unwrap_err());
    assert!(found.contains(&("policy.scope.customer_id".into(), "names no customer".into())), "{found:?}");
    assert!(found.contains(&("policy.scope.site_id".into(), "names no site".into())), "{found:?}");
    // Form values out of range.
    let limits = spec(policy::policy_spec::Definition::ResourceLimits(policy::ResourceLimitsForm {
        allowed_regions: vec!["eu-west-1".into(), "atlantis-1".into()],
        max_instance_count: -2,
        ..Default::default()
    }));
    let found = refused(admin_policies.create_policy(create("", limits)).await.unwrap_err());
    assert!(
        found.iter().any(|(f, d)| f == "policy.resource_limits.allowed_regions[1]" && d.contains("atlantis-1")),
        "{found:?}"
    );
    assert!(found.iter().any(|(f, _)| f == "policy.resource_limits.max_instance_count"), "{found:?}");
    let ports = spec(policy::policy_spec::Definition::Security(policy::SecurityForm {
        allowed_ingress_ports: vec![443, 70000],
        ..Default::default()
    }));
    let found = refused(admin_policies.create_policy(create("", ports)).await.unwrap_err());
    assert!(found.iter().any(|(f, _)| f == "policy.security.allowed_ingress_ports[1]"), "{found:?}");
    // A customer policy cannot be hard-mandatory, and a name is required.
    let mut hard = rego("package canopy.ok\nimport rego.v1\n\nwarn contains \"w\" if false\n");
    hard.enforcement = policy::EnforcementLevel::HardMandatory as i32;
    hard.name = " ".into();
    let found = refused(owner_policies.create_policy(create("", hard)).await.unwrap_err());
    assert!(found.iter().any(|(f, _)| f == "policy.enforcement"), "{found:?}");
    assert!(found.iter().any(|(f, _)| f == "policy.name"), "{found:?}");

    // Updates carry the revision they were made from; a stale one is refused, and a
    // refused update leaves the policy as it was.
    let created = owner_policies
        .create_policy(create("", rego("package canopy.ok\nimport rego.v1\n\nwarn contains \"w\" if false\n")))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    assert_eq!(created.revision, 1);
    let mut changed = created.spec.clone().unwrap();
    changed.description = "now with a description".into();
    let update = |spec: policy::PolicySpec, revision: i64| policy::UpdatePolicyRequest {
        customer_id: String::new(),
        policy_id: created.id.clone(),
        policy: Some(spec),
        revision,
    };
    let updated = owner_policies.update_policy(update(changed.clone(), 1)).await.unwrap().into_inner().policy.unwrap();
    assert_eq!((updated.revision, updated.spec.as_ref().unwrap().description.as_str()), (2, "now with a description"));
    let stale = owner_policies.update_policy(update(changed.clone(), 1)).await.unwrap_err();
    assert_eq!(stale.code(), tonic::Code::FailedPrecondition, "{stale:?}");
    let mut broken = changed;
    broken.definition = Some(policy::policy_spec::Definition::Rego("package canopy.ok\n\ndeny contains".into()));
    refused(owner_policies.update_policy(update(broken, 2)).await.unwrap_err());
    let kept = owner_policies
        .get_policy(policy::GetPolicyRequest { policy_id: created.id.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    assert_eq!((kept.revision, kept.rego.as_str()), (2, created.rego.as_str()));
    owner_policies
        .delete_policy(policy::DeletePolicyRequest { policy_id: created.id.clone(), ..Default::default() })
        .await
        .unwrap();

    // Nothing was saved.
    assert_eq!(
        count(admin_policies.list_policies(policy::ListPoliciesRequest::default()).await.unwrap().into_inner()),
        platform_before
    );
    assert_eq!(
        count(owner_policies.list_policies(policy::ListPoliciesRequest::default()).await.unwrap().into_inner()),
        own_before
    );
}

#[tokio::test]
async fn a_run_nobody_overrides_fails_when_the_wait_expires() {
    let mut env = TestEnv::new().await;
    env.config.set_section_value("provisioner", "sandbox_step_millis", serde_json::json!(5));
    env.config.set_section_value("provisioner", "policy_poll_secs", serde_json::json!(0.1));
    let clock = env.clock.clone();
    let services = env.spawn(canopyd::registry::MANIFESTS).await;
    let database = canopy_kit::db::Database::connect(&env.config.database).await.unwrap();
    let password = canopy_identity::ensure_platform_admin(&database, "admin@expiry.test").await.unwrap().unwrap();
    let admin = login(&services, "admin@expiry.test", &password).await;
    let customer = tenant(&services, &admin, "patient").await;
    // The owner's own soft-mandatory policy: the owner could override it, but nobody does.
    policies(&services, &customer.token)
        .await
        .create_policy(policy::CreatePolicyRequest {
            customer_id: String::new(),
            policy: Some(rego_policy("wait-for-me", policy::EnforcementLevel::SoftMandatory, &deny_prefix("slow-"))),
        })
        .await
        .unwrap();
    let run = create_site(&services, &customer.token, "slow-shop").await;
    wait_for_status(&services, &customer.token, &run, sites::DeploymentStatus::AwaitingOverride).await;
    let waiting = check_of(&services, &customer.token, &run).await;
    assert!(waiting.can_override, "an owner may override their own customer's policy: {waiting:?}");
    assert!(waiting.expire_time.is_some(), "{waiting:?}");
    // A day passes (services.policy.override_wait_secs' default) and a minute more.
    clock.advance(chrono::Duration::seconds(86_400 + 60));
    // Sessions expired meanwhile too: sign in again.
    let owner = login(&services, "owner@patient.test", "isolation is proven not assumed 7").await;
    wait_for_status(&services, &owner, &run, sites::DeploymentStatus::Failed).await;
    let failed = deployment(&services, &owner, &run).await;
    assert!(failed.error.contains("no override arrived before the wait expired"), "{failed:?}");
    assert_eq!(check_of(&services, &owner, &run).await.state(), policy::PolicyCheckState::Expired);
    // Too late now.
    let late = compliance(&services, &owner)
        .await
        .override_policy_check(policy::OverridePolicyCheckRequest {
            check_id: waiting.id,
            reason: "sorry, I was away".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(late.code(), tonic::Code::FailedPrecondition, "{late:?}");
}
