//! Pre-apply policy evaluation time: 20 policies on a 100-resource plan.
//!
//! Measures, in the same run, on the same input document:
//! * **Canopy**: `Evaluator::evaluate` with the real `canopy-policy-evaluator` child, all
//!   20 policies in one request (one child process, each policy in its own regorus engine
//!   with the time limit on) — what the provisioner's checkpoint runs before an apply;
//! * **the `regorus` CLI** (regorus's own example binary, the same regorus version), when
//!   `REGORUS_CLI` names it: (a) one process per policy, as a naive integration would
//!   shell out, and (b) one process loading all 20 modules (each in its own package
//!   `bench.pNN`) and querying every `deny`/`warn` rule in one query.
//!
//! The input: `canopy_terraform::plan_json` of the AWS site template for several sites
//! (each called as `module "<site>"`, so addresses are distinct), the first 100 managed
//! resource changes, wrapped in a `PolicyInput` with site, customer, deployment and cost
//! estimate facts. The policies: 4 resource-limits, 6 security and 2 cost builtin forms
//! with different settings, and 8 custom modules (tags, instance classes, ports, naming
//! by regex, buckets, logs, databases, deployment facts). Most produce messages.
//!
//! Before timing, the bench checks that the CLI gives every policy the same `deny` and
//! `warn` messages as Canopy, and fails if not. Prints a markdown table and writes it to
//! `bench-policy.md` in the target directory. Not a test: nothing about time is asserted.
//! Iterations: `CANOPY_BENCH_ITERATIONS` (default 200, after 10 warm-up runs).
//!
//! Build the CLI outside the repository (see the message printed when `REGORUS_CLI` is
//! unset), then:
//! `REGORUS_CLI=/tmp/regorus-cli/target/release/examples/regorus cargo bench -p canopy-policy --bench evaluate`

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use canopy_policy::engine::builtin::{BuiltinPolicy, Cost, Money, ResourceLimits, Security};
use canopy_policy::engine::compile;
use canopy_policy::engine::evaluator::{Evaluator, Limits, PolicyModule, PolicyOutcome};
use canopy_policy::engine::input::{Actor, CustomerFacts, DeploymentFacts, Estimate, PolicyInput, SiteFacts};
use canopy_terraform::{CloudProvider, PlanAction, SiteContract, SiteRuntime, SiteVariables, plan_json_in_module};
use serde_json::{Value, json};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

const RESOURCES: usize = 100;
const WARM_UP: usize = 10;
const REGION: &str = "eu-west-1";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn terraform_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../terraform")
}

// ---------------------------------------------------------------------------------------
// The input: a 100-resource plan.
// ---------------------------------------------------------------------------------------

/// The sites of the plan, in order, until there are 100 resources (today the first two:
/// the rest are there should the templates shrink): name, size, database, storage and
/// the `team` tag (one not allowed by the tag policy, one absent).
const SITES: &[(&str, &str, bool, bool, Option<&str>)] = &[
    ("corner-shop", "large", true, true, Some("web")),
    ("back-office", "medium", true, false, Some("marketing")),
    ("blog", "small", false, true, None),
    ("checkout", "large", true, true, Some("platform")),
];

fn plan(contract: &SiteContract) -> BenchResult<Value> {
    let mut changes = Vec::new();
    for (n, (name, size, database, storage, team)) in SITES.iter().enumerate() {
        assert!(contract.sizes.iter().any(|s| s == size), "{size} is a contract size");
        let variables = SiteVariables {
            site_id: format!("0192f5e4-7b1c-7cc3-9a51-3f7d2c8e4b1{n}"),
            customer_id: "0192f5e4-11aa-7bbb-8ccc-0123456789ab".to_owned(),
            name: (*name).to_owned(),
            region: REGION.to_owned(),
            size: (*size).to_owned(),
            database_enabled: *database,
            storage_enabled: *storage,
            runtime: SiteRuntime {
                image: "ghcr.io/acme/shop:1.4.2".to_owned(),
                port: 8080,
                env: BTreeMap::from([("LOG_LEVEL".to_owned(), "info".to_owned())]),
            },
            tags: team.map(|team| BTreeMap::from([("team".to_owned(), team.to_owned())])).unwrap_or_default(),
        };
        let call = name.replace('-', "_");
        let site = plan_json_in_module(&terraform_root(), CloudProvider::Aws, &variables, PlanAction::Create, &call)?;
        let Some(site_changes) = site["resource_changes"].as_array() else {
            return Err("plan_json has no resource_changes".into());
        };
        changes.extend(site_changes.iter().filter(|change| change["mode"] == "managed").cloned());
        if changes.len() >= RESOURCES {
            break;
        }
    }
    if changes.len() < RESOURCES {
        return Err(format!("the sites plan only {} resources; add a site", changes.len()).into());
    }
    changes.truncate(RESOURCES);
    Ok(json!({
        "format_version": canopy_terraform::PLAN_FORMAT_VERSION,
        "terraform_version": canopy_terraform::TERRAFORM_VERSION,
        "resource_changes": changes,
    }))
}

fn input(contract: &SiteContract) -> BenchResult<Value> {
    let document = PolicyInput {
        plan: plan(contract)?,
        site: SiteFacts {
            id: "0192f5e4-7b1c-7cc3-9a51-3f7d2c8e4b10".to_owned(),
            name: "corner-shop".to_owned(),
            provider: "aws".to_owned(),
            region: REGION.to_owned(),
            size: "large".to_owned(),
            labels: BTreeMap::from([("env".to_owned(), "production".to_owned())]),
            database_enabled: true,
            storage_enabled: true,
        },
        customer: CustomerFacts {
            id: "0192f5e4-11aa-7bbb-8ccc-0123456789ab".to_owned(),
            plan_tier: "business".to_owned(),
            status: "active".to_owned(),
        },
        deployment: DeploymentFacts {
            id: "0192f5e4-1111-7cc3-9a51-3f7d2c8e4b10".to_owned(),
            kind: "create".to_owned(),
            started_by: Actor { kind: "user".to_owned(), id: "u1".to_owned(), role: "developer".to_owned() },
        },
        estimate: Some(Estimate {
            currency_code: "USD".to_owned(),
            site_monthly_minor_units: 62_000,
            customer_monthly_minor_units: 180_000,
        }),
        billing: None,
    };
    Ok(document.to_json())
}

// ---------------------------------------------------------------------------------------
// The policies.
// ---------------------------------------------------------------------------------------

fn usd(minor_units: i64) -> Option<Money> {
    Some(Money { currency_code: "USD".to_owned(), minor_units })
}

fn builtins() -> Vec<(&'static str, BuiltinPolicy)> {
    use CloudProvider::{Aws, Azure, Gcp};
    let regions =
        |provider, regions: &[&str]| BTreeMap::from([(provider, regions.iter().map(|r| r.to_string()).collect())]);
    vec![
        (
            "limits-providers-regions",
            BuiltinPolicy::ResourceLimits(ResourceLimits {
                allowed_providers: vec![Aws, Gcp],
                allowed_regions: regions(Aws, &["eu-west-1", "eu-central-1"]),
                ..ResourceLimits::default()
            }),
        ),
        (
            "limits-us-only",
            BuiltinPolicy::ResourceLimits(ResourceLimits {
                allowed_regions: regions(Aws, &["us-east-1", "us-west-2"]),
                max_instances: Some(6),
                database_allowed: true,
                ..ResourceLimits::default()
            }),
        ),
        (
            "limits-size",
            BuiltinPolicy::ResourceLimits(ResourceLimits {
                allowed_providers: vec![Aws, Azure],
                max_size: Some("medium".to_owned()),
                max_instances: Some(3),
                database_allowed: true,
                ..ResourceLimits::default()
            }),
        ),
        (
            "limits-no-database",
            BuiltinPolicy::ResourceLimits(ResourceLimits { database_allowed: false, ..ResourceLimits::default() }),
        ),
        ("security-encryption", BuiltinPolicy::Security(Security { storage_encrypted: true, ..Security::default() })),
        (
            "security-private-database",
            BuiltinPolicy::Security(Security { no_public_database: true, ..Security::default() }),
        ),
        ("security-tls", BuiltinPolicy::Security(Security { tls_listeners_only: true, ..Security::default() })),
        (
            "security-https-only",
            BuiltinPolicy::Security(Security { allowed_ingress_ports: Some(vec![443]), ..Security::default() }),
        ),
        (
            "security-cost-tags",
            BuiltinPolicy::Security(Security {
                required_tags: vec!["canopy_site_id".into(), "canopy_customer_id".into(), "cost_center".into()],
                ..Security::default()
            }),
        ),
        (
            "security-all",
            BuiltinPolicy::Security(Security {
                storage_encrypted: true,
                no_public_database: true,
                tls_listeners_only: true,
                allowed_ingress_ports: Some(vec![80, 443]),
                required_tags: vec!["canopy_site_id".into(), "team".into()],
            }),
        ),
        ("cost-usd", BuiltinPolicy::Cost(Cost { max_site_monthly: usd(50_000), max_customer_monthly: usd(500_000) })),
        (
            "cost-eur",
            BuiltinPolicy::Cost(Cost {
                max_site_monthly: Some(Money { currency_code: "EUR".to_owned(), minor_units: 100_000 }),
                max_customer_monthly: None,
            }),
        ),
    ]
}

/// Customers' own modules: the kinds of checks operators write by hand.
const CUSTOM: &[(&str, &str)] = &[
    (
        "custom-tag-values",
        r#"package custom.tag_values

import rego.v1

allowed_teams := {"web", "platform", "data"}

tagged contains rc if {
	some rc in input.plan.resource_changes
	rc.mode == "managed"
	is_object(rc.change.after.tags)
}

deny contains msg if {
	some rc in tagged
	not rc.change.after.tags.team
	msg := sprintf("%s has no team tag", [rc.address])
}

deny contains msg if {
	some rc in tagged
	team := rc.change.after.tags.team
	not team in allowed_teams
	msg := sprintf("%s: team %s is not one of %s", [rc.address, team, concat(", ", sort(allowed_teams))])
}

warn contains msg if {
	some rc in tagged
	name := rc.change.after.tags.Name
	not regex.match(`^[a-z][a-z0-9-]*-[0-9a-f]{8}(-[a-z0-9-]+)?$`, name)
	msg := sprintf("%s: Name tag %s does not follow <site>-<id>[-<role>]", [rc.address, name])
}
"#,
    ),
    (
        "custom-instance-classes",
        r#"package custom.instance_classes

import rego.v1

allowed_db_classes := {"db.t4g.micro", "db.t4g.small", "db.t4g.medium"}

deny contains msg if {
	some rc in input.plan.resource_changes
	rc.type == "aws_db_instance"
	class := rc.change.after.instance_class
	not class in allowed_db_classes
	msg := sprintf("%s uses %s; allowed: %s", [rc.address, class, concat(", ", sort(allowed_db_classes))])
}

deny contains msg if {
	some rc in input.plan.resource_changes
	rc.type == "aws_ecs_task_definition"
	cpu := to_number(rc.change.after.cpu)
	cpu > 1024
	msg := sprintf("%s asks for %v CPU units; at most 1024", [rc.address, cpu])
}

warn contains msg if {
	some rc in input.plan.resource_changes
	rc.type == "aws_db_instance"
	class := rc.change.after.instance_class
	not regex.match(`^db\.(t4g|m7g|r7g)\.`, class)
	msg := sprintf("%s: %s is not a Graviton class", [rc.address, class])
}

warn contains msg if {
	some rc in input.plan.resource_changes
	rc.type == "aws_ecs_task_definition"
	memory := to_number(rc.change.after.memory)
	memory > 2048
	msg := sprintf("%s asks for %v MiB", [rc.address, memory])
}
"#,
    ),
    (
        "custom-ports",
        r#"package custom.ports

import rego.v1

internet := {"0.0.0.0/0", "::/0"}

rules contains [rc.address, rule] if {
	some rc in input.plan.resource_changes
	rc.type == "aws_vpc_security_group_ingress_rule"
	rule := rc.change.after
}

deny contains msg if {
	some [address, rule] in rules
	object.get(rule, "cidr_ipv4", null) in internet
	rule.from_port != rule.to_port
	msg := sprintf("%s opens a port range %v-%v to the internet", [address, rule.from_port, rule.to_port])
}

deny contains msg if {
	some [address, rule] in rules
	object.get(rule, "cidr_ipv4", null) in internet
	not rule.from_port in {80, 443}
	msg := sprintf("%s opens port %v to the internet", [address, rule.from_port])
}

deny contains msg if {
	some rc in input.plan.resource_changes
	rc.type == "aws_lb_listener"
	rc.change.after.protocol == "HTTP"
	not redirects(rc.change.after)
	msg := sprintf("%s serves plain HTTP on port %v without redirecting", [rc.address, rc.change.after.port])
}

redirects(listener) if {
	some action in listener.default_action
	action.type == "redirect"
}

warn contains msg if {
	some rc in input.plan.resource_changes
	rc.type == "aws_vpc_security_group_egress_rule"
	object.get(rc.change.after, "cidr_ipv4", null) in internet
	rc.change.after.from_port != 443
	msg := sprintf("%s allows egress on port %v to the internet", [rc.address, rc.change.after.from_port])
}
"#,
    ),
    (
        "custom-naming",
        r#"package custom.naming

import rego.v1

named contains [rc.address, name] if {
	some rc in input.plan.resource_changes
	name := object.get(rc.change.after, "name", null)
	is_string(name)
	not startswith(name, "/")
}

deny contains msg if {
	some [address, name] in named
	not regex.match(`^[a-z][a-z0-9-]{1,62}$`, name)
	msg := sprintf("%s: name %s must be lowercase letters, digits and hyphens", [address, name])
}

deny contains msg if {
	some rc in input.plan.resource_changes
	rc.type == "aws_s3_bucket"
	not startswith(rc.change.after.bucket, "canopy-")
	msg := sprintf("%s: bucket %s must start with canopy-", [rc.address, rc.change.after.bucket])
}

warn contains msg if {
	some rc in input.plan.resource_changes
	rc.type == "aws_cloudwatch_log_group"
	not regex.match(`^/canopy/(ecs|vpc)/`, rc.change.after.name)
	msg := sprintf("%s: log group %s is outside /canopy/ecs or /canopy/vpc", [rc.address, rc.change.after.name])
}

warn contains msg if {
	some [address, name] in named
	count(name) > 32
	msg := sprintf("%s: name %s is longer than 32 characters", [address, name])
}
"#,
    ),
    (
        "custom-buckets",
        r#"package custom.buckets

import rego.v1

buckets contains rc.address if {
	some rc in input.plan.resource_changes
	rc.type == "aws_s3_bucket"
}

module_of(address) := concat(".", array.slice(parts, 0, count(parts) - 2)) if parts := split(address, ".")

configured(kind, module) if {
	some rc in input.plan.resource_changes
	rc.type == kind
	module_of(rc.address) == module
}

deny contains msg if {
	some address in buckets
	some kind in ["aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block", "aws_s3_bucket_lifecycle_configuration"]
	not configured(kind, module_of(address))
	msg := sprintf("%s has no %s", [address, kind])
}

deny contains msg if {
	some rc in input.plan.resource_changes
	rc.type == "aws_s3_bucket_public_access_block"
	some setting in ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]
	rc.change.after[setting] != true
	msg := sprintf("%s: %s must be true", [rc.address, setting])
}

warn contains msg if {
	some rc in input.plan.resource_changes
	rc.type == "aws_s3_bucket_versioning"
	some configuration in rc.change.after.versioning_configuration
	configuration.status != "Enabled"
	msg := sprintf("%s: versioning is %s", [rc.address, configuration.status])
}
"#,
    ),
    (
        "custom-logs",
        r#"package custom.logs

import rego.v1

minimum_retention := 90

warn contains msg if {
	some rc in input.plan.resource_changes
	rc.type == "aws_cloudwatch_log_group"
	days := object.get(rc.change.after, "retention_in_days", 0)
	days < minimum_retention
	msg := sprintf("%s keeps logs %v days; at least %v", [rc.address, days, minimum_retention])
}

deny contains msg if {
	some rc in input.plan.resource_changes
	rc.type == "aws_flow_log"
	rc.change.after.traffic_type != "ALL"
	msg := sprintf("%s logs only %s traffic", [rc.address, rc.change.after.traffic_type])
}

deny contains msg if {
	some rc in input.plan.resource_changes
	rc.type == "aws_vpc"
	vpc_module := trim_suffix(rc.address, ".aws_vpc.this")
	not flow_logged(vpc_module)
	msg := sprintf("%s has no flow log", [rc.address])
}

flow_logged(module) if {
	some rc in input.plan.resource_changes
	rc.type == "aws_flow_log"
	startswith(rc.address, module)
}
"#,
    ),
    (
        "custom-databases",
        r#"package custom.databases

import rego.v1

databases contains rc if {
	some rc in input.plan.resource_changes
	rc.type == "aws_db_instance"
}

deny contains msg if {
	some rc in databases
	rc.change.after.backup_retention_period < 7
	msg := sprintf("%s keeps backups %v days; at least 7", [rc.address, rc.change.after.backup_retention_period])
}

deny contains msg if {
	some rc in databases
	rc.change.after.deletion_protection != true
	msg := sprintf("%s has no deletion protection", [rc.address])
}

deny contains msg if {
	some rc in databases
	rc.change.after.skip_final_snapshot == true
	msg := sprintf("%s skips the final snapshot", [rc.address])
}

warn contains msg if {
	some rc in databases
	input.site.size == "large"
	rc.change.after.multi_az != true
	msg := sprintf("%s is a single-AZ database on a large site", [rc.address])
}

warn contains msg if {
	some rc in databases
	not regex.match(`^1[6-9]$`, rc.change.after.engine_version)
	msg := sprintf("%s runs PostgreSQL %s", [rc.address, rc.change.after.engine_version])
}
"#,
    ),
    (
        "custom-deployment",
        r#"package custom.deployment

import rego.v1

deployer_roles := {"owner", "admin", "deployer"}

type_limits := {"aws_db_instance": 2, "aws_lb": 4, "aws_nat_gateway": 4}

deny contains msg if {
	not input.deployment.started_by.role in deployer_roles
	msg := sprintf("role %s may not deploy; ask an owner, admin or deployer", [input.deployment.started_by.role])
}

deny contains msg if {
	input.customer.plan_tier == "free"
	input.site.size != "small"
	msg := sprintf("free customers run small sites only, not %s", [input.site.size])
}

deny contains msg if {
	some kind, limit in type_limits
	n := count([rc | some rc in input.plan.resource_changes; rc.type == kind])
	n > limit
	msg := sprintf("the plan has %v %s; at most %v per deployment", [n, kind, limit])
}

deny contains msg if {
	some rc in input.plan.resource_changes
	"delete" in rc.change.actions
	msg := sprintf("%s would be deleted; deletes need a destroy deployment", [rc.address])
}

warn contains msg if {
	n := count(input.plan.resource_changes)
	n > 80
	msg := sprintf("the plan changes %v resources", [n])
}

warn contains msg if {
	input.site.labels.env == "production"
	some rc in input.plan.resource_changes
	rc.type == "aws_lb"
	rc.change.after.enable_deletion_protection != true
	msg := sprintf("%s: production load balancers should have deletion protection", [rc.address])
}
"#,
    ),
];

/// The 20 policies: Canopy's id, its module, and the same module in package `bench.pNN`
/// for the CLI's all-in-one process.
struct Policy {
    id: String,
    module: String,
    cli_module: String,
    cli_package: String,
    has_deny: bool,
    has_warn: bool,
}

fn policies(contract: &SiteContract) -> BenchResult<Vec<Policy>> {
    let mut sources: Vec<(String, String)> = Vec::new();
    for (id, form) in builtins() {
        let violations = form.validate(contract);
        if !violations.is_empty() {
            return Err(format!("{id} does not validate: {violations:?}").into());
        }
        sources.push((id.to_owned(), form.to_rego(contract)));
    }
    sources.extend(CUSTOM.iter().map(|(id, module)| ((*id).to_owned(), (*module).to_owned())));
    sources
        .into_iter()
        .enumerate()
        .map(|(n, (id, module))| {
            let info = compile::check(&module).map_err(|errors| format!("{id} does not compile: {errors:?}"))?;
            let cli_package = format!("bench.p{n:02}");
            let cli_module = module
                .lines()
                .map(
                    |line| {
                        if line.starts_with("package ") { format!("package {cli_package}") } else { line.to_owned() }
                    },
                )
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Policy { id, module, cli_module, cli_package, has_deny: info.has_deny, has_warn: info.has_warn })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The regorus CLI.
// ---------------------------------------------------------------------------------------

/// The rules a policy declares, as CLI query expressions (an undefined expression would
/// make the whole query undefined, so only declared rules are asked for).
fn rule_queries(policy: &Policy) -> Vec<String> {
    let mut queries = Vec::new();
    if policy.has_deny {
        queries.push(format!("data.{}.deny", policy.cli_package));
    }
    if policy.has_warn {
        queries.push(format!("data.{}.warn", policy.cli_package));
    }
    queries
}

/// Runs `regorus eval` and returns the value of each query expression.
fn cli_eval(cli: &Path, files: &[PathBuf], input: &Path, query: &str, expressions: usize) -> BenchResult<Vec<Value>> {
    let mut command = Command::new(cli);
    command.arg("eval");
    for file in files {
        command.arg("-d").arg(file);
    }
    let output = command.arg("-i").arg(input).arg(query).output()?;
    if !output.status.success() {
        return Err(
            format!("regorus eval failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr)).into()
        );
    }
    let results: Value = serde_json::from_slice(&output.stdout)?;
    let values: Vec<Value> = results["result"][0]["expressions"]
        .as_array()
        .map(|expressions| expressions.iter().map(|expression| expression["value"].clone()).collect())
        .unwrap_or_default();
    if values.len() != expressions {
        return Err(format!("regorus eval {query}: expected {expressions} values, got {results}").into());
    }
    Ok(values)
}

fn messages(value: &Value) -> BenchResult<Vec<String>> {
    let mut messages: Vec<String> = value
        .as_array()
        .ok_or_else(|| format!("not a set of messages: {value}"))?
        .iter()
        .map(|message| message.as_str().map(str::to_owned).ok_or_else(|| format!("not a message: {message}")))
        .collect::<Result<_, _>>()?;
    messages.sort();
    Ok(messages)
}

/// (deny, warn) of one policy from its query values.
fn cli_outcome(policy: &Policy, values: &[Value]) -> BenchResult<(Vec<String>, Vec<String>)> {
    let mut values = values.iter();
    let mut next = |declared: bool| -> BenchResult<Vec<String>> {
        match (declared, values.next()) {
            (false, _) => Ok(Vec::new()),
            (true, Some(value)) => messages(value),
            (true, None) => Err("missing value".into()),
        }
    };
    let deny = next(policy.has_deny)?;
    let warn = next(policy.has_warn)?;
    Ok((deny, warn))
}

/// (a) One process per policy; returns every policy's (deny, warn).
fn cli_per_policy(
    cli: &Path,
    files: &[PathBuf],
    input: &Path,
    policies: &[Policy],
) -> BenchResult<Vec<(Vec<String>, Vec<String>)>> {
    policies
        .iter()
        .zip(files)
        .map(|(policy, file)| {
            let queries = rule_queries(policy);
            let values = cli_eval(cli, std::slice::from_ref(file), input, &queries.join("; "), queries.len())?;
            cli_outcome(policy, &values)
        })
        .collect()
}

/// (b) One process for all the policies.
fn cli_all_in_one(
    cli: &Path,
    files: &[PathBuf],
    input: &Path,
    policies: &[Policy],
) -> BenchResult<Vec<(Vec<String>, Vec<String>)>> {
    let queries: Vec<Vec<String>> = policies.iter().map(rule_queries).collect();
    let all: Vec<&String> = queries.iter().flatten().collect();
    let query = all.iter().map(|q| q.as_str()).collect::<Vec<_>>().join("; ");
    let values = cli_eval(cli, files, input, &query, all.len())?;
    let mut at = 0;
    policies
        .iter()
        .zip(&queries)
        .map(|(policy, queries)| {
            let outcome = cli_outcome(policy, &values[at..at + queries.len()]);
            at += queries.len();
            outcome
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Timing.
// ---------------------------------------------------------------------------------------

struct Figures {
    label: String,
    samples: Vec<Duration>,
}

impl Figures {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
    }

    fn mean(&self) -> Duration {
        self.samples.iter().sum::<Duration>() / self.samples.len() as u32
    }

    fn row(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "| {} | {} | {:.1} | {:.1} | {:.1} |\n",
            self.label,
            self.samples.len(),
            ms(self.percentile(0.50)),
            ms(self.percentile(0.99)),
            ms(self.mean())
        )
    }
}

fn measure(label: String, iterations: usize, mut run: impl FnMut() -> BenchResult<()>) -> BenchResult<Figures> {
    for _ in 0..WARM_UP {
        run()?;
    }
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        run()?;
        samples.push(started.elapsed());
    }
    Ok(Figures { label, samples })
}

fn check_outcomes(what: &str, canopy: &[PolicyOutcome], cli: &[(Vec<String>, Vec<String>)]) -> BenchResult<()> {
    let mut differences = Vec::new();
    for (ours, (deny, warn)) in canopy.iter().zip(cli) {
        if ours.deny != *deny || ours.warn != *warn {
            differences.push(format!(
                "{}: Canopy deny {:?} warn {:?}; CLI deny {deny:?} warn {warn:?}",
                ours.id, ours.deny, ours.warn
            ));
        }
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(format!("the regorus CLI ({what}) and Canopy disagree:\n{}", differences.join("\n")).into())
    }
}

fn main() -> BenchResult<()> {
    let iterations = env_number("CANOPY_BENCH_ITERATIONS", 200);
    let contract = SiteContract::load(&terraform_root())?;
    let input = input(&contract)?;
    let policies = policies(&contract)?;
    let modules: Vec<PolicyModule> =
        policies.iter().map(|p| PolicyModule { id: p.id.clone(), module: p.module.clone() }).collect();
    let input_bytes = serde_json::to_vec(&input)?;
    let evaluator =
        Evaluator { command: vec![env!("CARGO_BIN_EXE_canopy-policy-evaluator").into()], limits: Limits::default() };
    let runtime = tokio::runtime::Runtime::new()?;

    // What Canopy says; every policy must evaluate.
    let outcomes = runtime.block_on(evaluator.evaluate(&modules, &input))?;
    if let Some(failed) = outcomes.iter().find(|outcome| outcome.error.is_some()) {
        return Err(format!("{} failed: {:?}", failed.id, failed.error).into());
    }
    for outcome in &outcomes {
        eprintln!("  {}: {} deny, {} warn", outcome.id, outcome.deny.len(), outcome.warn.len());
    }
    let deny: usize = outcomes.iter().map(|o| o.deny.len()).sum();
    let warn: usize = outcomes.iter().map(|o| o.warn.len()).sum();
    let silent = outcomes.iter().filter(|o| o.deny.is_empty() && o.warn.is_empty()).count();
    eprintln!(
        "input: {RESOURCES} resource changes, {} KiB of JSON; {} policies ({} KiB of Rego): {deny} deny and {warn} warn messages, {silent} policies silent",
        input_bytes.len() / 1024,
        policies.len(),
        policies.iter().map(|p| p.module.len()).sum::<usize>() / 1024,
    );

    let mut rows = vec![measure(
        format!("Canopy: `Evaluator::evaluate`, {} policies, one child", policies.len()),
        iterations,
        || {
            let outcomes = runtime.block_on(evaluator.evaluate(&modules, &input))?;
            assert_eq!(outcomes.len(), modules.len());
            Ok(())
        },
    )?];

    let peer_note = match std::env::var_os("REGORUS_CLI").map(PathBuf::from) {
        None => {
            eprintln!(
                "REGORUS_CLI is unset; measuring Canopy only. To compare with the regorus CLI, build it outside the repository:\n  \
                 cp -a ~/.cargo/registry/src/*/regorus-0.14.1 /tmp/regorus-cli && cd /tmp/regorus-cli\n  \
                 cargo build --release --example regorus --no-default-features --features std,regex\n\
                 (delete the dev-dependencies the example does not use from its Cargo.toml first to build faster)\n\
                 and set REGORUS_CLI=/tmp/regorus-cli/target/release/examples/regorus"
            );
            "(REGORUS_CLI unset: the regorus CLI was not measured)\n".to_owned()
        }
        Some(cli) => {
            let dir = std::env::temp_dir().join(format!("canopy-bench-evaluate-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let input_file = dir.join("input.json");
            std::fs::write(&input_file, &input_bytes)?;
            let mut files = Vec::new();
            for (n, policy) in policies.iter().enumerate() {
                let file = dir.join(format!("p{n:02}.rego"));
                std::fs::write(&file, &policy.cli_module)?;
                files.push(file);
            }
            let version = Command::new(&cli).arg("--version").output()?;
            let peer_note = format!("peer: {}", String::from_utf8_lossy(&version.stdout));

            check_outcomes(
                "one process per policy",
                &outcomes,
                &cli_per_policy(&cli, &files, &input_file, &policies)?,
            )?;
            check_outcomes("all in one process", &outcomes, &cli_all_in_one(&cli, &files, &input_file, &policies)?)?;
            eprintln!("the regorus CLI gives every policy the same deny and warn messages as Canopy");

            rows.push(measure(
                format!("regorus CLI: one process per policy ({} processes)", policies.len()),
                iterations,
                || cli_per_policy(&cli, &files, &input_file, &policies).map(drop),
            )?);
            rows.push(measure(
                format!("regorus CLI: one process, {} modules, one query", policies.len()),
                iterations,
                || cli_all_in_one(&cli, &files, &input_file, &policies).map(drop),
            )?);
            std::fs::remove_dir_all(&dir)?;
            peer_note
        }
    };

    let canopy_p99 = rows[0].percentile(0.99);
    let mut table = format!(
        "| {} policies on a {RESOURCES}-resource plan ({} KiB input) | iterations | p50 ms | p99 ms | mean ms |\n\
         | --- | ---: | ---: | ---: | ---: |\n",
        policies.len(),
        input_bytes.len() / 1024
    );
    for row in &rows {
        table.push_str(&row.row());
    }
    table.push_str(&format!(
        "\nCanopy's p99 is {:.1} ms: {} 1 s.\n{peer_note}",
        canopy_p99.as_secs_f64() * 1000.0,
        if canopy_p99 < Duration::from_secs(1) { "below" } else { "NOT below" }
    ));
    println!("{table}");
    write_report("bench-policy.md", &table);
    Ok(())
}

/// Writes the table to `file` in the target directory, as the other benches do
/// (`canopy_kit::testing::write_bench_report`, not a dependency of this crate).
fn write_report(file: &str, report: &str) {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let path = target.join(file);
    match std::fs::create_dir_all(&target).and_then(|()| std::fs::write(&path, report)) {
        Ok(()) => eprintln!("written to {}", path.display()),
        Err(error) => eprintln!("cannot write {}: {error}", path.display()),
    }
}
