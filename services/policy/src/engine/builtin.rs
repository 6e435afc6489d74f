//! The builtin policy kinds: forms an operator fills in, turned into Rego.
//!
//! Each kind has `validate`, which lists [`FieldViolation`]s for out-of-range values, and
//! `to_rego`, which writes a module in the conftest convention (`deny`/`warn` sets of
//! messages). The text is deterministic (sorted values, fixed order) and commented, so an
//! operator reading it in the console sees what the form means.
//!
//! Packages: `canopy.builtin.resource_limits`, `canopy.builtin.security`,
//! `canopy.builtin.cost`. Every policy is evaluated in an engine of its own, so two
//! policies of the same kind do not collide.
//!
//! What the generated Rego reads:
//! * `input.site.provider`, `.region`, `.size`, `.database_enabled`: site-level checks that
//!   hold whatever resources a provider uses.
//! * `input.plan.resource_changes[]`: `.type`, `.address`, `.mode`, `.module_address`,
//!   `.change.after` and `.change.after_unknown` of the Terraform JSON plan, for the
//!   resource types of `terraform/modules/<provider>` and `terraform/sites/<provider>`.
//!   Resources leaving the plan (`after` is null) are ignored. An attribute absent from
//!   `after` (unknown until apply, or not set) never counts as a violation.
//! * `input.estimate`: the cost policy; `null` when the plan could not be priced, and then
//!   the policy produces nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use canopy_terraform::{CloudProvider, SiteContract, Tagging, known_resource_types, tagging};
use serde::{Deserialize, Serialize};

/// One problem with a form field. `field` is a path such as `allowed_regions.aws[1]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldViolation {
    /// The field, as a dotted path with indexes.
    pub field: String,
    /// What is wrong, lowercase.
    pub message: String,
}

fn violation(field: impl Into<String>, message: impl Into<String>) -> FieldViolation {
    FieldViolation { field: field.into(), message: message.into() }
}

/// A builtin policy, as stored: the kind and its form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BuiltinPolicy {
    /// Where sites may run and how big they may be.
    ResourceLimits(ResourceLimits),
    /// How sites must be secured.
    Security(Security),
    /// What sites may cost.
    Cost(Cost),
}

impl BuiltinPolicy {
    /// Every out-of-range value of the form; empty when it can be saved.
    pub fn validate(&self, contract: &SiteContract) -> Vec<FieldViolation> {
        match self {
            BuiltinPolicy::ResourceLimits(form) => form.validate(contract),
            BuiltinPolicy::Security(form) => form.validate(),
            BuiltinPolicy::Cost(form) => form.validate(),
        }
    }

    /// The Rego module for a form that passed [`BuiltinPolicy::validate`].
    pub fn to_rego(&self, contract: &SiteContract) -> String {
        match self {
            BuiltinPolicy::ResourceLimits(form) => form.to_rego(contract),
            BuiltinPolicy::Security(form) => form.to_rego(),
            BuiltinPolicy::Cost(form) => form.to_rego(),
        }
    }
}

/// Rules shared by the modules that look at resources.
const PLANNED_RESOURCES: &str = r#"# Managed resources that exist once the plan is applied: created, updated, replaced or
# unchanged. Resources being destroyed have a null `after`.
planned contains rc if {
	some rc in list(input.plan.resource_changes)
	object.get(rc, "mode", "managed") == "managed"
	rc.change.after != null
}

# The elements of a list attribute or nested block; providers write an unset one as null,
# which regorus refuses to iterate.
list(value) := value if is_array(value)

list(value) := [] if value == null
"#;

fn header(kind: &str, package: &str) -> String {
    format!(
        "# Canopy builtin policy: {kind}.\n# Generated from the policy form; change the form rather than this text.\npackage {package}\n\nimport rego.v1\n\n"
    )
}

/// A Rego (and JSON) string literal.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

fn string_array<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let sorted: BTreeSet<&str> = items.into_iter().collect();
    let quoted: Vec<String> = sorted.into_iter().map(quoted).collect();
    format!("[{}]", quoted.join(", "))
}

// ---------------------------------------------------------------------------------------
// Resource limits.
// ---------------------------------------------------------------------------------------

/// Where sites may run and how big they may be. Empty or absent fields do not restrict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLimits {
    /// Providers sites may use; empty allows every provider.
    #[serde(default)]
    pub allowed_providers: Vec<CloudProvider>,
    /// Per provider, the regions sites may use; a provider not listed may use any of its
    /// regions.
    #[serde(default)]
    pub allowed_regions: BTreeMap<CloudProvider, Vec<String>>,
    /// The largest site size, one of the contract's sizes (`small` < `medium` < `large`).
    #[serde(default)]
    pub max_size: Option<String>,
    /// The most application instances a site may run (its autoscaling ceiling).
    #[serde(default)]
    pub max_instances: Option<i64>,
    /// Whether sites may have a managed database.
    #[serde(default = "allowed")]
    pub database_allowed: bool,
}

fn allowed() -> bool {
    true
}

/// Database resource types of every provider (Akamai sites have none today, but the
/// Linode managed databases are covered so a future module cannot slip past).
const DATABASE_TYPES: &[&str] = &[
    "aws_db_instance",
    "aws_rds_cluster",
    "azurerm_postgresql_flexible_server",
    "digitalocean_database_cluster",
    "google_sql_database_instance",
    "linode_database_mysql",
    "linode_database_mysql_v2",
    "linode_database_postgresql",
    "linode_database_postgresql_v2",
];

impl ResourceLimits {
    /// Every out-of-range value.
    pub fn validate(&self, contract: &SiteContract) -> Vec<FieldViolation> {
        let mut violations = Vec::new();
        let mut seen = BTreeSet::new();
        for (index, provider) in self.allowed_providers.iter().enumerate() {
            if !seen.insert(provider) {
                violations
                    .push(violation(format!("allowed_providers[{index}]"), format!("{provider} is listed twice")));
            }
        }
        for (provider, regions) in &self.allowed_regions {
            let field = format!("allowed_regions.{provider}");
            if !self.allowed_providers.is_empty() && !self.allowed_providers.contains(provider) {
                violations.push(violation(&field, format!("{provider} is not an allowed provider")));
            }
            if regions.is_empty() {
                violations.push(violation(&field, "list at least one region, or remove the provider to allow all"));
            }
            let offered = contract.provider(*provider).map(|offer| offer.regions.as_slice()).unwrap_or(&[]);
            let mut seen = BTreeSet::new();
            for (index, region) in regions.iter().enumerate() {
                if !offered.contains(region) {
                    violations.push(violation(
                        format!("{field}[{index}]"),
                        format!("{region:?} is not a {provider} region; choose from {}", offered.join(", ")),
                    ));
                } else if !seen.insert(region) {
                    violations.push(violation(format!("{field}[{index}]"), format!("{region} is listed twice")));
                }
            }
        }
        if let Some(size) = &self.max_size
            && !contract.sizes.contains(size)
        {
            violations.push(violation("max_size", format!("must be one of {}", contract.sizes.join(", "))));
        }
        if let Some(count) = self.max_instances
            && count < 1
        {
            violations.push(violation("max_instances", "must be at least 1"));
        }
        let restricts = !self.allowed_providers.is_empty()
            || !self.allowed_regions.is_empty()
            || self.max_size.is_some()
            || self.max_instances.is_some()
            || !self.database_allowed;
        if !restricts {
            violations.push(violation("", "set at least one limit"));
        }
        violations
    }

    /// The Rego module.
    pub fn to_rego(&self, contract: &SiteContract) -> String {
        let mut rego = header("resource limits", "canopy.builtin.resource_limits");
        rego.push_str(PLANNED_RESOURCES);
        if !self.allowed_providers.is_empty() {
            let names = string_array(self.allowed_providers.iter().map(|p| p.as_str()));
            let _ = write!(
                rego,
                r#"
# Sites may run on these providers only.
allowed_providers := {names}

deny contains msg if {{
	not input.site.provider in allowed_providers
	msg := sprintf("provider %s is not allowed; allowed: %s", [input.site.provider, concat(", ", allowed_providers)])
}}
"#
            );
        }
        if !self.allowed_regions.is_empty() {
            let entries: Vec<String> = self
                .allowed_regions
                .iter()
                .map(|(provider, regions)| {
                    format!("\t{}: {},", quoted(provider.as_str()), string_array(regions.iter().map(String::as_str)))
                })
                .collect();
            let _ = write!(
                rego,
                r#"
# Per provider, the regions sites may use; providers not listed may use any region.
allowed_regions := {{
{}
}}

deny contains msg if {{
	regions := allowed_regions[input.site.provider]
	not input.site.region in regions
	msg := sprintf("region %s is not allowed on %s; allowed: %s", [input.site.region, input.site.provider, concat(", ", regions)])
}}
"#,
                entries.join("\n")
            );
        }
        if let Some(max_size) = &self.max_size {
            let ranks: Vec<String> =
                contract.sizes.iter().enumerate().map(|(rank, size)| format!("{}: {rank}", quoted(size))).collect();
            let _ = write!(
                rego,
                r#"
# Site sizes from smallest to largest, as the site contract lists them.
size_rank := {{{}}}

max_size := {}

deny contains msg if {{
	size_rank[input.site.size] > size_rank[max_size]
	msg := sprintf("site size %s is larger than the allowed maximum, %s", [input.site.size, max_size])
}}
"#,
                ranks.join(", "),
                quoted(max_size)
            );
        }
        if let Some(max_instances) = self.max_instances {
            let _ = write!(
                rego,
                r#"
max_instances := {max_instances}

# The most application instances a resource lets the site run: the autoscaling ceiling
# where the platform scales (ECS, App Service, Cloud Run), the fixed count elsewhere.
instance_ceiling contains [rc.address, n] if {{
	some rc in planned
	rc.type == "aws_appautoscaling_target"
	rc.change.after.service_namespace == "ecs"
	n := rc.change.after.max_capacity
}}

instance_ceiling contains [rc.address, n] if {{
	some rc in planned
	rc.type == "aws_ecs_service"
	n := rc.change.after.desired_count
}}

instance_ceiling contains [rc.address, n] if {{
	some rc in planned
	rc.type == "azurerm_service_plan"
	n := rc.change.after.worker_count
}}

instance_ceiling contains [rc.address, n] if {{
	some rc in planned
	rc.type == "azurerm_monitor_autoscale_setting"
	some profile in list(rc.change.after.profile)
	some capacity in list(profile.capacity)
	n := to_number(capacity.maximum)
}}

instance_ceiling contains [rc.address, n] if {{
	some rc in planned
	rc.type == "google_cloud_run_v2_service"
	some template in list(rc.change.after.template)
	some scaling in list(template.scaling)
	n := scaling.max_instance_count
}}

deny contains msg if {{
	some [address, n] in instance_ceiling
	n > max_instances
	msg := sprintf("%s can run %v instances; the maximum is %v", [address, n, max_instances])
}}

# Droplets and Linodes are one resource per instance, so they are counted.
deny contains msg if {{
	some kind in {{"digitalocean_droplet", "linode_instance"}}
	n := count([rc | some rc in planned; rc.type == kind])
	n > max_instances
	msg := sprintf("the plan runs %v %s instances; the maximum is %v", [n, kind, max_instances])
}}
"#
            );
        }
        if !self.database_allowed {
            let _ = write!(
                rego,
                r#"
# Sites may not have a managed database.
database_types := {}

deny contains "this site may not have a database (database_enabled is true)" if {{
	input.site.database_enabled == true
}}

deny contains msg if {{
	some rc in planned
	rc.type in database_types
	msg := sprintf("%s is a managed database; sites may not have one", [rc.address])
}}
"#,
                string_array(DATABASE_TYPES.iter().copied())
            );
        }
        rego
    }
}

// ---------------------------------------------------------------------------------------
// Security.
// ---------------------------------------------------------------------------------------

/// How sites must be secured. Each switch adds its rules; `false`/absent adds none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Security {
    /// Storage (databases, buckets, disks) must be encrypted at rest where the provider
    /// lets it be turned off.
    #[serde(default)]
    pub storage_encrypted: bool,
    /// Databases must not be reachable from the internet.
    #[serde(default)]
    pub no_public_database: bool,
    /// Listeners and endpoints must use HTTPS/TLS; an HTTP listener is allowed only when
    /// it redirects to HTTPS.
    #[serde(default)]
    pub tls_listeners_only: bool,
    /// The ports the internet may reach (firewall rules open to `0.0.0.0/0`, `::/0` or
    /// "any", and public load balancer entry ports); absent does not restrict, empty
    /// allows none.
    #[serde(default)]
    pub allowed_ingress_ports: Option<Vec<i64>>,
    /// Tag (label) keys every taggable resource must carry.
    #[serde(default)]
    pub required_tags: Vec<String>,
}

impl Security {
    /// Every out-of-range value.
    pub fn validate(&self) -> Vec<FieldViolation> {
        let mut violations = Vec::new();
        if let Some(ports) = &self.allowed_ingress_ports {
            let mut seen = BTreeSet::new();
            for (index, port) in ports.iter().enumerate() {
                if !(1..=65535).contains(port) {
                    violations.push(violation(format!("allowed_ingress_ports[{index}]"), "must be from 1 to 65535"));
                } else if !seen.insert(port) {
                    violations
                        .push(violation(format!("allowed_ingress_ports[{index}]"), format!("{port} is listed twice")));
                }
            }
        }
        let mut seen = BTreeSet::new();
        for (index, key) in self.required_tags.iter().enumerate() {
            if !is_tag_key(key) {
                violations.push(violation(
                    format!("required_tags[{index}]"),
                    "must be 1-63 lowercase letters, digits, underscores or hyphens, starting with a letter",
                ));
            } else if !seen.insert(key) {
                violations.push(violation(format!("required_tags[{index}]"), format!("{key} is listed twice")));
            }
        }
        let restricts = self.storage_encrypted
            || self.no_public_database
            || self.tls_listeners_only
            || self.allowed_ingress_ports.is_some()
            || !self.required_tags.is_empty();
        if !restricts {
            violations.push(violation("", "turn on at least one rule"));
        }
        violations
    }

    /// The Rego module.
    pub fn to_rego(&self) -> String {
        let mut rego = header("security", "canopy.builtin.security");
        rego.push_str(PLANNED_RESOURCES);
        if self.storage_encrypted {
            rego.push_str(SECURITY_ENCRYPTION);
        }
        if self.no_public_database {
            rego.push_str(SECURITY_PUBLIC_DATABASE);
        }
        if self.tls_listeners_only {
            rego.push_str(SECURITY_TLS);
        }
        if let Some(ports) = &self.allowed_ingress_ports {
            let sorted: BTreeSet<i64> = ports.iter().copied().collect();
            let listed: Vec<String> = sorted.iter().map(i64::to_string).collect();
            let _ =
                write!(rego, "\n# Ports the internet may reach.\nallowed_ingress_ports := {{{}}}\n", listed.join(", "));
            rego.push_str(SECURITY_INGRESS);
        }
        if !self.required_tags.is_empty() {
            let _ = write!(
                rego,
                "\n# Tag keys every taggable resource must carry.\nrequired_tags := {}\n",
                string_array(self.required_tags.iter().map(String::as_str))
            );
            rego.push_str(&tag_attribute_table());
            rego.push_str(SECURITY_TAGS);
        }
        rego
    }
}

/// Tag keys that every provider accepts: Google Cloud's label keys are the strictest
/// (lowercase letters, digits, `_` and `-`, starting with a letter, at most 63).
fn is_tag_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 63
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Where each taggable resource type keeps its tags, from canopy-terraform's table (the
/// one the module checks use), so a type added there is covered here too.
fn tag_attribute_table() -> String {
    let mut entries: Vec<(&str, &str)> = known_resource_types()
        .filter_map(|kind| match tagging(kind) {
            Tagging::Taggable(attribute) => Some((kind, attribute)),
            Tagging::NotTaggable | Tagging::Unknown => None,
        })
        .collect();
    entries.sort_unstable();
    let lines: Vec<String> =
        entries.iter().map(|(kind, attribute)| format!("\t{}: {},", quoted(kind), quoted(attribute))).collect();
    format!(
        "\n# Where each taggable resource type keeps its tags (a map, or a list of \"key:value\"\n# strings on DigitalOcean and Linode; a dotted path goes through a nested block).\ntag_attribute := {{\n{}\n}}\n",
        lines.join("\n")
    )
}

const SECURITY_ENCRYPTION: &str = r#"
# Storage must be encrypted at rest. Azure Storage and PostgreSQL, Google Cloud SQL and
# Storage, DigitalOcean databases and Spaces are always encrypted: nothing to check there.
deny contains msg if {
	some rc in planned
	rc.type in {"aws_db_instance", "aws_rds_cluster"}
	rc.change.after.storage_encrypted == false
	msg := sprintf("%s: storage must be encrypted (storage_encrypted is false)", [rc.address])
}

deny contains msg if {
	some rc in planned
	rc.type == "aws_s3_bucket_server_side_encryption_configuration"
	some rule in list(rc.change.after.rule)
	some by_default in list(rule.apply_server_side_encryption_by_default)
	algorithm := by_default.sse_algorithm
	not algorithm in {"AES256", "aws:kms", "aws:kms:dsse"}
	msg := sprintf("%s: %s is not an encryption algorithm S3 accepts", [rc.address, algorithm])
}

# A bucket needs its encryption configuration in the plan, in the same module.
deny contains msg if {
	some rc in planned
	rc.type == "aws_s3_bucket"
	not bucket_encryption_configured(rc)
	msg := sprintf("%s has no server-side encryption configuration", [rc.address])
}

bucket_encryption_configured(bucket) if {
	some rc in planned
	rc.type == "aws_s3_bucket_server_side_encryption_configuration"
	object.get(rc, "module_address", "") == object.get(bucket, "module_address", "")
}

deny contains msg if {
	some rc in planned
	rc.type == "linode_instance"
	rc.change.after.disk_encryption == "disabled"
	msg := sprintf("%s: disk encryption must be enabled", [rc.address])
}

deny contains msg if {
	some rc in planned
	rc.type == "linode_volume"
	rc.change.after.encryption == "disabled"
	msg := sprintf("%s: volume encryption must be enabled", [rc.address])
}
"#;

const SECURITY_PUBLIC_DATABASE: &str = r#"
# Databases must not be reachable from the internet.
deny contains msg if {
	some rc in planned
	rc.type == "aws_db_instance"
	rc.change.after.publicly_accessible == true
	msg := sprintf("%s must not be publicly accessible", [rc.address])
}

deny contains msg if {
	some rc in planned
	rc.type == "azurerm_postgresql_flexible_server"
	rc.change.after.public_network_access_enabled == true
	msg := sprintf("%s must not allow public network access", [rc.address])
}

deny contains msg if {
	some rc in planned
	rc.type == "google_sql_database_instance"
	some settings in list(rc.change.after.settings)
	some ip in list(settings.ip_configuration)
	ip.ipv4_enabled == true
	msg := sprintf("%s must not have a public IPv4 address", [rc.address])
}

# DigitalOcean clusters always have a public endpoint; a database firewall in the same
# module is what closes it.
deny contains msg if {
	some rc in planned
	rc.type == "digitalocean_database_cluster"
	not database_firewall_in_module(rc)
	msg := sprintf("%s has no database firewall, so anyone can connect", [rc.address])
}

database_firewall_in_module(cluster) if {
	some rc in planned
	rc.type == "digitalocean_database_firewall"
	object.get(rc, "module_address", "") == object.get(cluster, "module_address", "")
}

deny contains msg if {
	some rc in planned
	rc.type == "digitalocean_database_firewall"
	some rule in list(rc.change.after.rule)
	rule.type == "ip_addr"
	rule.value in {"0.0.0.0/0", "::/0"}
	msg := sprintf("%s admits every address (%s)", [rc.address, rule.value])
}

deny contains msg if {
	some rc in planned
	startswith(rc.type, "linode_database_")
	some address in list(rc.change.after.allow_list)
	address in {"0.0.0.0/0", "::/0"}
	msg := sprintf("%s admits every address (%s)", [rc.address, address])
}
"#;

const SECURITY_TLS: &str = r#"
# Listeners and endpoints must use HTTPS or TLS; plain HTTP may only redirect to HTTPS.
deny contains msg if {
	some rc in planned
	rc.type == "aws_lb_listener"
	protocol := rc.change.after.protocol
	not protocol in {"HTTPS", "TLS"}
	not redirects_to_https(rc)
	not rc.change.after_unknown.default_action == true
	msg := sprintf("%s listens with %s; only HTTPS, TLS or a redirect to HTTPS are allowed", [rc.address, protocol])
}

redirects_to_https(rc) if {
	rc.change.after.protocol == "HTTP"
	count(rc.change.after.default_action) > 0
	every action in rc.change.after.default_action {
		action.type == "redirect"
		some redirect in list(action.redirect)
		redirect.protocol == "HTTPS"
	}
}

deny contains msg if {
	some rc in planned
	rc.type in {"azurerm_linux_web_app", "azurerm_windows_web_app"}
	rc.change.after.https_only == false
	msg := sprintf("%s must be HTTPS only", [rc.address])
}

deny contains msg if {
	some rc in planned
	rc.type in {"azurerm_linux_web_app", "azurerm_windows_web_app"}
	some config in list(rc.change.after.site_config)
	version := config.minimum_tls_version
	version in {"1.0", "1.1"}
	msg := sprintf("%s accepts TLS %s; the minimum must be 1.2", [rc.address, version])
}

deny contains msg if {
	some rc in planned
	rc.type == "azurerm_storage_account"
	rc.change.after.https_traffic_only_enabled == false
	msg := sprintf("%s must accept HTTPS traffic only", [rc.address])
}

deny contains msg if {
	some rc in planned
	rc.type == "azurerm_storage_account"
	version := rc.change.after.min_tls_version
	version in {"TLS1_0", "TLS1_1"}
	msg := sprintf("%s accepts %s; the minimum must be TLS1_2", [rc.address, version])
}

deny contains msg if {
	some rc in planned
	rc.type == "azurerm_postgresql_flexible_server_configuration"
	rc.change.after.name == "require_secure_transport"
	lower(rc.change.after.value) == "off"
	msg := sprintf("%s lets clients connect without TLS", [rc.address])
}

deny contains msg if {
	some rc in planned
	rc.type == "aws_db_parameter_group"
	some parameter in list(rc.change.after.parameter)
	parameter.name == "rds.force_ssl"
	parameter.value == "0"
	msg := sprintf("%s lets clients connect without TLS (rds.force_ssl is 0)", [rc.address])
}

deny contains msg if {
	some rc in planned
	rc.type == "google_sql_database_instance"
	some settings in list(rc.change.after.settings)
	some ip in list(settings.ip_configuration)
	ip.ssl_mode == "ALLOW_UNENCRYPTED_AND_ENCRYPTED"
	msg := sprintf("%s lets clients connect without TLS", [rc.address])
}

deny contains msg if {
	some rc in planned
	rc.type == "digitalocean_loadbalancer"
	some rule in list(rc.change.after.forwarding_rule)
	not rule.entry_protocol in {"https", "http2", "http3"}
	not do_http_redirected(rc, rule)
	msg := sprintf("%s listens with %s on port %v; only HTTPS or a redirect to HTTPS are allowed", [rc.address, rule.entry_protocol, rule.entry_port])
}

do_http_redirected(rc, rule) if {
	rule.entry_protocol == "http"
	rc.change.after.redirect_http_to_https == true
}

# NodeBalancers cannot redirect, so an HTTP port is plain HTTP.
deny contains msg if {
	some rc in planned
	rc.type == "linode_nodebalancer_config"
	protocol := rc.change.after.protocol
	protocol != "https"
	msg := sprintf("%s listens with %s on port %v; only HTTPS is allowed", [rc.address, protocol, rc.change.after.port])
}
"#;

const SECURITY_INGRESS: &str = r#"
# Sources that mean "the whole internet" in the providers' firewall rules.
public_sources := {"0.0.0.0/0", "::/0", "*", "Internet", "Any", "any"}

# [address, low port, high port] of every range the plan opens to the internet.
public_ingress contains [rc.address, r[0], r[1]] if {
	some rc in planned
	rc.type == "aws_vpc_security_group_ingress_rule"
	some source in [object.get(rc.change.after, "cidr_ipv4", null), object.get(rc.change.after, "cidr_ipv6", null)]
	source in public_sources
	r := aws_range(rc.change.after.ip_protocol, rc.change.after.from_port, rc.change.after.to_port)
}

public_ingress contains [rc.address, r[0], r[1]] if {
	some rc in planned
	rc.type == "aws_security_group"
	some rule in list(rc.change.after.ingress)
	aws_rule_public(rule)
	r := aws_range(rule.protocol, rule.from_port, rule.to_port)
}

public_ingress contains [rc.address, r[0], r[1]] if {
	some rc in planned
	rc.type == "aws_security_group_rule"
	rc.change.after.type == "ingress"
	aws_rule_public(rc.change.after)
	r := aws_range(rc.change.after.protocol, rc.change.after.from_port, rc.change.after.to_port)
}

aws_rule_public(rule) if {
	some source in array.concat(list(object.get(rule, "cidr_blocks", [])), list(object.get(rule, "ipv6_cidr_blocks", [])))
	source in public_sources
}

# Protocol -1 (all) opens every port; ICMP has no ports.
aws_range(protocol, from, to) := [1, 65535] if protocol in {"-1", "all"}

aws_range(protocol, from, to) := [from, to] if not protocol in {"-1", "all", "icmp", "icmpv6", "1", "58"}

public_ingress contains [rc.address, r[0], r[1]] if {
	some rc in planned
	rc.type == "azurerm_network_security_group"
	some rule in list(rc.change.after.security_rule)
	some r in azure_public_ranges(rule)
}

public_ingress contains [rc.address, r[0], r[1]] if {
	some rc in planned
	rc.type == "azurerm_network_security_rule"
	some r in azure_public_ranges(rc.change.after)
}

azure_public_ranges(rule) := ranges if {
	rule.direction == "Inbound"
	rule.access == "Allow"
	sources := array.concat([object.get(rule, "source_address_prefix", null)], list(object.get(rule, "source_address_prefixes", [])))
	some source in sources
	source in public_sources
	specs := array.concat([object.get(rule, "destination_port_range", null)], list(object.get(rule, "destination_port_ranges", [])))
	ranges := [r | some spec in specs; is_string(spec); spec != ""; some r in port_ranges(spec)]
}

public_ingress contains [rc.address, r[0], r[1]] if {
	some rc in planned
	rc.type == "google_compute_firewall"
	object.get(rc.change.after, "direction", "INGRESS") in {"INGRESS", null}
	not rc.change.after.disabled == true
	some source in list(rc.change.after.source_ranges)
	source in public_sources
	some allow in list(rc.change.after.allow)
	not allow.protocol in {"icmp", "ipv6-icmp"}
	some r in gcp_ranges(list(object.get(allow, "ports", [])))
}

gcp_ranges(ports) := [[1, 65535]] if count(ports) == 0

gcp_ranges(ports) := [r | some spec in ports; some r in port_ranges(spec)] if count(ports) > 0

public_ingress contains [rc.address, r[0], r[1]] if {
	some rc in planned
	rc.type == "digitalocean_firewall"
	some rule in list(rc.change.after.inbound_rule)
	rule.protocol != "icmp"
	some source in list(rule.source_addresses)
	source in public_sources
	some r in port_ranges(port_spec(object.get(rule, "port_range", null)))
}

public_ingress contains [rc.address, port, port] if {
	some rc in planned
	rc.type == "digitalocean_loadbalancer"
	some rule in list(rc.change.after.forwarding_rule)
	port := rule.entry_port
}

public_ingress contains [rc.address, 1, 65535] if {
	some rc in planned
	rc.type == "linode_firewall"
	rc.change.after.inbound_policy == "ACCEPT"
}

public_ingress contains [rc.address, r[0], r[1]] if {
	some rc in planned
	rc.type == "linode_firewall"
	some rule in list(rc.change.after.inbound)
	rule.action == "ACCEPT"
	rule.protocol != "ICMP"
	some source in array.concat(list(object.get(rule, "ipv4", [])), list(object.get(rule, "ipv6", [])))
	source in public_sources
	some r in port_ranges(port_spec(object.get(rule, "ports", null)))
}

public_ingress contains [rc.address, port, port] if {
	some rc in planned
	rc.type == "linode_nodebalancer_config"
	port := rc.change.after.port
}

# An unset port specification means every port.
port_spec(value) := value if is_string(value)

port_spec(value) := "" if value == null

# "80", "8000-8080", "80,443", and "*", "all" or "" for every port.
port_ranges(spec) := [port_range(trim_space(part)) | some part in split(spec, ",")]

port_range(part) := [1, 65535] if part in {"*", "all", ""}

port_range(part) := [to_number(bounds[0]), to_number(bounds[1])] if {
	contains(part, "-")
	bounds := split(part, "-")
}

port_range(part) := [to_number(part), to_number(part)] if {
	not part in {"*", "all", ""}
	not contains(part, "-")
}

range_allowed(low, high) if {
	count({port | some port in allowed_ingress_ports; port >= low; port <= high}) == (high - low) + 1
}

deny contains msg if {
	some [address, low, high] in public_ingress
	not range_allowed(low, high)
	msg := sprintf("%s opens %s to the internet; allowed ports: %s", [address, port_text(low, high), concat(", ", [sprintf("%v", [p]) | some p in allowed_ingress_ports])])
}

port_text(low, high) := sprintf("port %v", [low]) if low == high

port_text(low, high) := sprintf("ports %v-%v", [low, high]) if low != high
"#;

const SECURITY_TAGS: &str = r#"
# Linode tags are capped at 50 characters, so the Akamai modules shorten the two cost tag
# keys (terraform/modules/akamai/*/main.tf, `tag_key_aliases`).
linode_tag_aliases := {"canopy_site_id": "site", "canopy_customer_id": "customer"}

deny contains msg if {
	some rc in planned
	attribute := tag_attribute[rc.type]
	not tags_unknown(rc, attribute)
	some key in required_tags
	not has_tag(rc, attribute, key)
	msg := sprintf("%s lacks the required tag %s", [rc.address, key])
}

# The tags are computed during apply: nothing to judge yet.
tags_unknown(rc, attribute) if rc.change.after_unknown[split(attribute, ".")[0]] == true

# Maps of tags: the attribute itself, and the copy the AWS and Google providers merge
# with provider-level default tags and labels.
tag_maps(after, attribute) := [m | some name in [attribute, "tags_all", "terraform_labels", "effective_labels"]; m := after[name]; is_object(m)] if {
	not contains(attribute, ".")
}

tag_maps(after, attribute) := [m | some block in list(after[path[0]]); m := block[path[1]]; is_object(m)] if {
	path := split(attribute, ".")
	count(path) == 2
}

has_tag(rc, attribute, key) if {
	some tags in tag_maps(rc.change.after, attribute)
	key in object.keys(tags)
}

# A key whose value is only known after apply.
has_tag(rc, attribute, key) if rc.change.after_unknown[attribute][key] == true

# Lists of "key:value" (or bare "key") strings.
has_tag(rc, attribute, key) if {
	some tag in list(rc.change.after[attribute])
	is_string(tag)
	split(tag, ":")[0] in {key, object.get(linode_tag_aliases, key, key)}
}
"#;

// ---------------------------------------------------------------------------------------
// Cost.
// ---------------------------------------------------------------------------------------

/// An amount of money in minor units (cents) of an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// ISO 4217 code, three capital letters, for example `USD`.
    pub currency_code: String,
    /// Minor units; not negative.
    pub minor_units: i64,
}

/// What sites may cost per month, compared with `input.estimate`.
///
/// `input.estimate` is `null` when the plan could not be priced; the policy then produces
/// nothing. An estimate in another currency than a limit is not converted: the policy
/// warns that it could not compare.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    /// The most one site may cost per month.
    #[serde(default)]
    pub max_site_monthly: Option<Money>,
    /// The most all the customer's sites together may cost per month.
    #[serde(default)]
    pub max_customer_monthly: Option<Money>,
}

impl Cost {
    /// Every out-of-range value.
    pub fn validate(&self) -> Vec<FieldViolation> {
        let mut violations = Vec::new();
        for (field, money) in
            [("max_site_monthly", &self.max_site_monthly), ("max_customer_monthly", &self.max_customer_monthly)]
        {
            let Some(money) = money else { continue };
            if !(money.currency_code.len() == 3 && money.currency_code.chars().all(|c| c.is_ascii_uppercase())) {
                violations.push(violation(format!("{field}.currency_code"), "must be an ISO 4217 code such as USD"));
            }
            if money.minor_units < 0 {
                violations.push(violation(format!("{field}.minor_units"), "must not be negative"));
            }
        }
        if self.max_site_monthly.is_none() && self.max_customer_monthly.is_none() {
            violations.push(violation("", "set a site or a customer limit"));
        }
        violations
    }

    /// The Rego module.
    pub fn to_rego(&self) -> String {
        let mut rego = header("cost", "canopy.builtin.cost");
        rego.push_str(
            "# input.estimate is null when the plan could not be priced; every rule below then stays silent.\n",
        );
        for (name, what, estimate_field, money) in [
            ("max_site_monthly", "this site", "site_monthly_minor_units", &self.max_site_monthly),
            (
                "max_customer_monthly",
                "all the customer's sites",
                "customer_monthly_minor_units",
                &self.max_customer_monthly,
            ),
        ] {
            let Some(money) = money else { continue };
            let _ = write!(
                rego,
                r#"
# The most {what} may cost per month, in minor units (cents).
{name} := {{"currency_code": {currency}, "minor_units": {units}}}

deny contains msg if {{
	input.estimate != null
	input.estimate.currency_code == {name}.currency_code
	input.estimate.{estimate_field} > {name}.minor_units
	msg := sprintf("the estimated monthly cost of {what} is %v %s minor units, above the limit of %v", [input.estimate.{estimate_field}, {name}.currency_code, {name}.minor_units])
}}

warn contains msg if {{
	input.estimate != null
	input.estimate.currency_code != {name}.currency_code
	msg := sprintf("the estimate is in %s and the {name} limit in %s; they were not compared", [input.estimate.currency_code, {name}.currency_code])
}}
"#,
                currency = quoted(&money.currency_code),
                units = money.minor_units,
            );
        }
        rego
    }
}
