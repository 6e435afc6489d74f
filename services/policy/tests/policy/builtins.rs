//! The builtin kinds against plans of every provider: each case says which policy, which
//! site and plan, and the exact `deny`/`warn` messages expected (none = passes).
//!
//! Plans are hand-made in the shape of `terraform show -json` from the resources the
//! modules under `terraform/modules/<provider>` declare. To add a real plan, build a
//! [`Case`] whose `input` reads the JSON file (`serde_json::from_str(include_str!(…))`).

use std::collections::BTreeMap;

use canopy_policy::engine::builtin::{BuiltinPolicy, Cost, FieldViolation, Money, ResourceLimits, Security};
use canopy_policy::engine::compile;
use canopy_policy::engine::evaluator::Limits;
use canopy_policy::engine::input::PolicyInput;
use canopy_terraform::CloudProvider;
use serde_json::{Value, json};

use crate::support::{contract, estimate, evaluator, input, module, plan, resource};

struct Case {
    name: &'static str,
    policy: BuiltinPolicy,
    input: PolicyInput,
    deny: Vec<&'static str>,
    warn: Vec<&'static str>,
}

fn case(name: &'static str, policy: &BuiltinPolicy, input: PolicyInput, deny: &[&'static str]) -> Case {
    Case { name, policy: policy.clone(), input, deny: deny.to_vec(), warn: Vec::new() }
}

fn limits(edit: impl FnOnce(&mut ResourceLimits)) -> BuiltinPolicy {
    let mut form = ResourceLimits { database_allowed: true, ..ResourceLimits::default() };
    edit(&mut form);
    BuiltinPolicy::ResourceLimits(form)
}

fn security(edit: impl FnOnce(&mut Security)) -> BuiltinPolicy {
    let mut form = Security::default();
    edit(&mut form);
    BuiltinPolicy::Security(form)
}

fn site(provider: &str, region: &str) -> PolicyInput {
    input(provider, region, plan(vec![]))
}

fn resource_limit_cases() -> Vec<Case> {
    let providers = limits(|f| f.allowed_providers = vec![CloudProvider::Aws, CloudProvider::Gcp]);
    let regions = limits(|f| {
        f.allowed_regions =
            BTreeMap::from([(CloudProvider::Aws, vec!["eu-west-1".to_owned(), "eu-central-1".to_owned()])])
    });
    let size = limits(|f| f.max_size = Some("small".to_owned()));
    let instances = limits(|f| f.max_instances = Some(4));
    let no_database = limits(|f| f.database_allowed = false);
    let mut large = site("azure", "westeurope");
    large.site.size = "large".to_owned();
    let mut small = site("azure", "westeurope");
    small.site.size = "small".to_owned();
    let mut wants_database = site("gcp", "europe-west1");
    wants_database.site.database_enabled = true;
    vec![
        case("provider allowed", &providers, site("gcp", "europe-west1"), &[]),
        case(
            "provider refused",
            &providers,
            site("digitalocean", "ams3"),
            &["provider digitalocean is not allowed; allowed: aws, gcp"],
        ),
        case("region allowed", &regions, site("aws", "eu-west-1"), &[]),
        case(
            "region refused",
            &regions,
            site("aws", "us-east-1"),
            &["region us-east-1 is not allowed on aws; allowed: eu-central-1, eu-west-1"],
        ),
        case("regions of unlisted providers are free", &regions, site("akamai", "us-east"), &[]),
        case("size refused", &size, large, &["site size large is larger than the allowed maximum, small"]),
        case("size allowed", &size, small, &[]),
        case(
            "aws autoscaling ceiling",
            &instances,
            input(
                "aws",
                "eu-west-1",
                plan(vec![
                    resource(
                        "aws_appautoscaling_target",
                        "this",
                        json!({"service_namespace": "ecs", "min_capacity": 2, "max_capacity": 8}),
                    )
                    .in_module("compute"),
                    resource("aws_ecs_service", "this", json!({"desired_count": 2})).in_module("compute"),
                ]),
            ),
            &["module.compute.aws_appautoscaling_target.this can run 8 instances; the maximum is 4"],
        ),
        case(
            "aws within the ceiling",
            &instances,
            input(
                "aws",
                "eu-west-1",
                plan(vec![resource(
                    "aws_appautoscaling_target",
                    "this",
                    json!({"service_namespace": "ecs", "max_capacity": 4}),
                )]),
            ),
            &[],
        ),
        case(
            "aws unknown ceiling",
            &instances,
            input(
                "aws",
                "eu-west-1",
                plan(vec![
                    resource("aws_appautoscaling_target", "this", json!({"service_namespace": "ecs"}))
                        .unknown(json!({"max_capacity": true})),
                ]),
            ),
            &[],
        ),
        case(
            "azure autoscale maximum",
            &instances,
            input(
                "azure",
                "westeurope",
                plan(vec![
                    resource("azurerm_service_plan", "this", json!({"worker_count": 2})),
                    resource(
                        "azurerm_monitor_autoscale_setting",
                        "this",
                        json!({"profile": [{"name": "cpu", "capacity": [{"default": 2, "minimum": 2, "maximum": 8}]}]}),
                    ),
                ]),
            ),
            &["azurerm_monitor_autoscale_setting.this can run 8 instances; the maximum is 4"],
        ),
        case(
            "gcp cloud run maximum",
            &instances,
            input(
                "gcp",
                "europe-west1",
                plan(vec![resource(
                    "google_cloud_run_v2_service",
                    "this",
                    json!({"template": [{"scaling": [{"min_instance_count": 2, "max_instance_count": 10}]}]}),
                )]),
            ),
            &["google_cloud_run_v2_service.this can run 10 instances; the maximum is 4"],
        ),
        case(
            "digitalocean droplets counted",
            &instances,
            input(
                "digitalocean",
                "ams3",
                plan(
                    (0..5)
                        .map(|i| {
                            resource("digitalocean_droplet", &format!("this[{i}]"), json!({"size": "s-1vcpu-1gb"}))
                        })
                        .collect(),
                ),
            ),
            &["the plan runs 5 digitalocean_droplet instances; the maximum is 4"],
        ),
        case(
            "akamai linodes within the maximum",
            &instances,
            input(
                "akamai",
                "eu-west",
                plan(
                    (0..3)
                        .map(|i| resource("linode_instance", &format!("this[{i}]"), json!({"type": "g6-standard-4"})))
                        .collect(),
                ),
            ),
            &[],
        ),
        case(
            "database asked for",
            &no_database,
            wants_database,
            &["this site may not have a database (database_enabled is true)"],
        ),
        case(
            "aws database in the plan",
            &no_database,
            input(
                "aws",
                "eu-west-1",
                plan(vec![resource("aws_db_instance", "this", json!({"engine": "postgres"})).in_module("database[0]")]),
            ),
            &["module.database[0].aws_db_instance.this is a managed database; sites may not have one"],
        ),
        case(
            "azure database in the plan",
            &no_database,
            input("azure", "westeurope", plan(vec![resource("azurerm_postgresql_flexible_server", "this", json!({}))])),
            &["azurerm_postgresql_flexible_server.this is a managed database; sites may not have one"],
        ),
        case(
            "gcp database in the plan",
            &no_database,
            input("gcp", "europe-west1", plan(vec![resource("google_sql_database_instance", "this", json!({}))])),
            &["google_sql_database_instance.this is a managed database; sites may not have one"],
        ),
        case(
            "digitalocean database in the plan",
            &no_database,
            input("digitalocean", "ams3", plan(vec![resource("digitalocean_database_cluster", "this", json!({}))])),
            &["digitalocean_database_cluster.this is a managed database; sites may not have one"],
        ),
        case(
            "akamai without database",
            &no_database,
            input("akamai", "eu-west", plan(vec![resource("linode_instance", "this[0]", json!({}))])),
            &[],
        ),
    ]
}

fn security_cases() -> Vec<Case> {
    let encrypted = security(|f| f.storage_encrypted = true);
    let private_db = security(|f| f.no_public_database = true);
    let tls = security(|f| f.tls_listeners_only = true);
    let ports = security(|f| f.allowed_ingress_ports = Some(vec![443, 80]));
    let tags = security(|f| f.required_tags = vec!["canopy_site_id".to_owned()]);
    let on = |provider: &str, region: &str, resources| input(provider, region, plan(resources));
    vec![
        // Encryption at rest.
        case(
            "aws unencrypted database",
            &encrypted,
            on("aws", "eu-west-1", vec![resource("aws_db_instance", "this", json!({"storage_encrypted": false}))]),
            &["aws_db_instance.this: storage must be encrypted (storage_encrypted is false)"],
        ),
        case(
            "aws encrypted database",
            &encrypted,
            on("aws", "eu-west-1", vec![resource("aws_db_instance", "this", json!({"storage_encrypted": true}))]),
            &[],
        ),
        case(
            "aws encryption unknown",
            &encrypted,
            on(
                "aws",
                "eu-west-1",
                vec![resource("aws_db_instance", "this", json!({})).unknown(json!({"storage_encrypted": true}))],
            ),
            &[],
        ),
        case(
            "aws bucket without encryption configuration",
            &encrypted,
            on(
                "aws",
                "eu-west-1",
                vec![resource("aws_s3_bucket", "this", json!({"bucket": "b"})).in_module("storage[0]")],
            ),
            &["module.storage[0].aws_s3_bucket.this has no server-side encryption configuration"],
        ),
        case(
            "aws bucket with encryption configuration",
            &encrypted,
            on(
                "aws",
                "eu-west-1",
                vec![
                    resource("aws_s3_bucket", "this", json!({"bucket": "b"})).in_module("storage[0]"),
                    resource(
                        "aws_s3_bucket_server_side_encryption_configuration",
                        "this",
                        json!({"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]}),
                    )
                    .in_module("storage[0]"),
                ],
            ),
            &[],
        ),
        case(
            "azure storage is always encrypted",
            &encrypted,
            on(
                "azure",
                "westeurope",
                vec![resource("azurerm_storage_account", "this", json!({"infrastructure_encryption_enabled": false}))],
            ),
            &[],
        ),
        case(
            "gcp storage is always encrypted",
            &encrypted,
            on("gcp", "europe-west1", vec![resource("google_storage_bucket", "this", json!({}))]),
            &[],
        ),
        case(
            "digitalocean storage is always encrypted",
            &encrypted,
            on("digitalocean", "ams3", vec![resource("digitalocean_spaces_bucket", "this", json!({"acl": "private"}))]),
            &[],
        ),
        case(
            "akamai disk encryption disabled",
            &encrypted,
            on(
                "akamai",
                "eu-west",
                vec![resource("linode_instance", "this[0]", json!({"disk_encryption": "disabled"}))],
            ),
            &["linode_instance.this[0]: disk encryption must be enabled"],
        ),
        case(
            "akamai disk encryption enabled",
            &encrypted,
            on(
                "akamai",
                "eu-west",
                vec![resource("linode_instance", "this[0]", json!({"disk_encryption": "enabled"}))],
            ),
            &[],
        ),
        // Public databases.
        case(
            "aws public database",
            &private_db,
            on("aws", "eu-west-1", vec![resource("aws_db_instance", "this", json!({"publicly_accessible": true}))]),
            &["aws_db_instance.this must not be publicly accessible"],
        ),
        case(
            "aws private database",
            &private_db,
            on("aws", "eu-west-1", vec![resource("aws_db_instance", "this", json!({"publicly_accessible": false}))]),
            &[],
        ),
        case(
            "azure public database",
            &private_db,
            on(
                "azure",
                "westeurope",
                vec![resource(
                    "azurerm_postgresql_flexible_server",
                    "this",
                    json!({"public_network_access_enabled": true}),
                )],
            ),
            &["azurerm_postgresql_flexible_server.this must not allow public network access"],
        ),
        case(
            "azure private database",
            &private_db,
            on(
                "azure",
                "westeurope",
                vec![resource(
                    "azurerm_postgresql_flexible_server",
                    "this",
                    json!({"public_network_access_enabled": false}),
                )],
            ),
            &[],
        ),
        case(
            "gcp public database",
            &private_db,
            on(
                "gcp",
                "europe-west1",
                vec![resource(
                    "google_sql_database_instance",
                    "this",
                    json!({"settings": [{"ip_configuration": [{"ipv4_enabled": true}]}]}),
                )],
            ),
            &["google_sql_database_instance.this must not have a public IPv4 address"],
        ),
        case(
            "gcp private database",
            &private_db,
            on(
                "gcp",
                "europe-west1",
                vec![resource(
                    "google_sql_database_instance",
                    "this",
                    json!({"settings": [{"ip_configuration": [{"ipv4_enabled": false}]}]}),
                )],
            ),
            &[],
        ),
        case(
            "digitalocean database without firewall",
            &private_db,
            on(
                "digitalocean",
                "ams3",
                vec![resource("digitalocean_database_cluster", "this", json!({})).in_module("database[0]")],
            ),
            &["module.database[0].digitalocean_database_cluster.this has no database firewall, so anyone can connect"],
        ),
        case(
            "digitalocean database behind its firewall",
            &private_db,
            on(
                "digitalocean",
                "ams3",
                vec![
                    resource("digitalocean_database_cluster", "this", json!({})).in_module("database[0]"),
                    resource(
                        "digitalocean_database_firewall",
                        "this",
                        json!({"rule": [{"type": "tag", "value": "shop-app"}]}),
                    )
                    .in_module("database[0]"),
                ],
            ),
            &[],
        ),
        case(
            "akamai database open to all",
            &private_db,
            on(
                "akamai",
                "eu-west",
                vec![resource("linode_database_postgresql_v2", "this", json!({"allow_list": ["0.0.0.0/0"]}))],
            ),
            &["linode_database_postgresql_v2.this admits every address (0.0.0.0/0)"],
        ),
        // HTTPS/TLS.
        case(
            "aws http listener forwarding",
            &tls,
            on(
                "aws",
                "eu-west-1",
                vec![resource(
                    "aws_lb_listener",
                    "http",
                    json!({"port": 80, "protocol": "HTTP", "default_action": [{"type": "forward", "redirect": []}]}),
                )],
            ),
            &["aws_lb_listener.http listens with HTTP; only HTTPS, TLS or a redirect to HTTPS are allowed"],
        ),
        case(
            "aws http listener redirecting",
            &tls,
            on(
                "aws",
                "eu-west-1",
                vec![
                    resource(
                        "aws_lb_listener",
                        "http",
                        json!({"port": 80, "protocol": "HTTP", "default_action": [{"type": "redirect", "redirect": [{"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}]}]}),
                    ),
                    resource("aws_lb_listener", "https[0]", json!({"port": 443, "protocol": "HTTPS"})),
                ],
            ),
            &[],
        ),
        case(
            "azure web app allowing http",
            &tls,
            on(
                "azure",
                "westeurope",
                vec![resource(
                    "azurerm_linux_web_app",
                    "this",
                    json!({"https_only": false, "site_config": [{"minimum_tls_version": "1.2"}]}),
                )],
            ),
            &["azurerm_linux_web_app.this must be HTTPS only"],
        ),
        case(
            "azure web app https only",
            &tls,
            on(
                "azure",
                "westeurope",
                vec![resource(
                    "azurerm_linux_web_app",
                    "this",
                    json!({"https_only": true, "site_config": [{"minimum_tls_version": "1.2"}]}),
                )],
            ),
            &[],
        ),
        case(
            "gcp database without tls",
            &tls,
            on(
                "gcp",
                "europe-west1",
                vec![resource(
                    "google_sql_database_instance",
                    "this",
                    json!({"settings": [{"ip_configuration": [{"ssl_mode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED"}]}]}),
                )],
            ),
            &["google_sql_database_instance.this lets clients connect without TLS"],
        ),
        case(
            "gcp database with tls",
            &tls,
            on(
                "gcp",
                "europe-west1",
                vec![resource(
                    "google_sql_database_instance",
                    "this",
                    json!({"settings": [{"ip_configuration": [{"ssl_mode": "ENCRYPTED_ONLY"}]}]}),
                )],
            ),
            &[],
        ),
        case(
            "digitalocean plain http",
            &tls,
            on(
                "digitalocean",
                "ams3",
                vec![resource(
                    "digitalocean_loadbalancer",
                    "this",
                    json!({"redirect_http_to_https": false, "forwarding_rule": [{"entry_protocol": "http", "entry_port": 80}]}),
                )],
            ),
            &[
                "digitalocean_loadbalancer.this listens with http on port 80; only HTTPS or a redirect to HTTPS are allowed",
            ],
        ),
        case(
            "digitalocean http redirected",
            &tls,
            on(
                "digitalocean",
                "ams3",
                vec![resource(
                    "digitalocean_loadbalancer",
                    "this",
                    json!({"redirect_http_to_https": true, "forwarding_rule": [{"entry_protocol": "http", "entry_port": 80}, {"entry_protocol": "https", "entry_port": 443}]}),
                )],
            ),
            &[],
        ),
        case(
            "akamai http nodebalancer",
            &tls,
            on(
                "akamai",
                "eu-west",
                vec![resource("linode_nodebalancer_config", "http", json!({"port": 80, "protocol": "http"}))],
            ),
            &["linode_nodebalancer_config.http listens with http on port 80; only HTTPS is allowed"],
        ),
        case(
            "akamai https nodebalancer",
            &tls,
            on(
                "akamai",
                "eu-west",
                vec![resource("linode_nodebalancer_config", "https[0]", json!({"port": 443, "protocol": "https"}))],
            ),
            &[],
        ),
        // Ingress ports open to the internet.
        case(
            "aws ssh from the internet",
            &ports,
            on(
                "aws",
                "eu-west-1",
                vec![
                    resource(
                        "aws_vpc_security_group_ingress_rule",
                        "ssh",
                        json!({"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0"}),
                    ),
                    resource(
                        "aws_vpc_security_group_ingress_rule",
                        "https",
                        json!({"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0"}),
                    ),
                    resource(
                        "aws_vpc_security_group_ingress_rule",
                        "database",
                        json!({"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432, "referenced_security_group_id": "sg-1"}),
                    ),
                ],
            ),
            &["aws_vpc_security_group_ingress_rule.ssh opens port 22 to the internet; allowed ports: 80, 443"],
        ),
        case(
            "aws every protocol",
            &ports,
            on(
                "aws",
                "eu-west-1",
                vec![resource(
                    "aws_security_group",
                    "wide",
                    json!({"ingress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": []}]}),
                )],
            ),
            &["aws_security_group.wide opens ports 1-65535 to the internet; allowed ports: 80, 443"],
        ),
        case(
            "azure rdp from anywhere",
            &ports,
            on(
                "azure",
                "westeurope",
                vec![resource(
                    "azurerm_network_security_group",
                    "app",
                    json!({"security_rule": [
                        {"direction": "Inbound", "access": "Allow", "source_address_prefix": "*", "destination_port_range": "3389", "destination_port_ranges": []},
                        {"direction": "Inbound", "access": "Deny", "source_address_prefix": "*", "destination_port_range": "*", "destination_port_ranges": []},
                        {"direction": "Inbound", "access": "Allow", "source_address_prefix": "10.0.1.0/24", "destination_port_range": "5432", "destination_port_ranges": []},
                    ]}),
                )],
            ),
            &["azurerm_network_security_group.app opens port 3389 to the internet; allowed ports: 80, 443"],
        ),
        case(
            "gcp firewall allowing ssh",
            &ports,
            on(
                "gcp",
                "europe-west1",
                vec![
                    resource(
                        "google_compute_firewall",
                        "ssh",
                        json!({"direction": "INGRESS", "source_ranges": ["0.0.0.0/0"], "allow": [{"protocol": "tcp", "ports": ["22", "443"]}], "deny": []}),
                    ),
                    resource(
                        "google_compute_firewall",
                        "deny_all_ingress",
                        json!({"direction": "INGRESS", "source_ranges": ["0.0.0.0/0"], "allow": [], "deny": [{"protocol": "all"}]}),
                    ),
                ],
            ),
            &["google_compute_firewall.ssh opens port 22 to the internet; allowed ports: 80, 443"],
        ),
        case(
            "digitalocean firewall and load balancer",
            &ports,
            on(
                "digitalocean",
                "ams3",
                vec![
                    resource(
                        "digitalocean_firewall",
                        "this",
                        json!({"inbound_rule": [
                            {"protocol": "tcp", "port_range": "8080", "source_addresses": ["10.10.0.0/16"]},
                            {"protocol": "tcp", "port_range": "22", "source_addresses": ["0.0.0.0/0", "::/0"]},
                            {"protocol": "icmp", "source_addresses": ["0.0.0.0/0"]},
                        ]}),
                    ),
                    resource(
                        "digitalocean_loadbalancer",
                        "this",
                        json!({"forwarding_rule": [{"entry_protocol": "https", "entry_port": 443}]}),
                    ),
                ],
            ),
            &["digitalocean_firewall.this opens port 22 to the internet; allowed ports: 80, 443"],
        ),
        case(
            "akamai firewall as the module writes it",
            &ports,
            on(
                "akamai",
                "eu-west",
                vec![
                    resource(
                        "linode_firewall",
                        "this",
                        json!({"inbound_policy": "DROP", "inbound": [{"action": "ACCEPT", "protocol": "TCP", "ports": "8080", "ipv4": ["192.168.255.0/24"]}]}),
                    ),
                    resource("linode_nodebalancer_config", "http", json!({"port": 80, "protocol": "http"})),
                ],
            ),
            &[],
        ),
        case(
            "akamai firewall open range",
            &ports,
            on(
                "akamai",
                "eu-west",
                vec![resource(
                    "linode_firewall",
                    "this",
                    json!({"inbound_policy": "DROP", "inbound": [{"action": "ACCEPT", "protocol": "TCP", "ports": "80,8000-8080", "ipv4": ["0.0.0.0/0"]}]}),
                )],
            ),
            &["linode_firewall.this opens ports 8000-8080 to the internet; allowed ports: 80, 443"],
        ),
        case(
            "aws security group without inline rules",
            &ports,
            on("aws", "eu-west-1", vec![resource("aws_security_group", "app", json!({"ingress": null}))]),
            &[],
        ),
        case(
            "akamai rule without ports opens every port",
            &ports,
            on(
                "akamai",
                "eu-west",
                vec![resource(
                    "linode_firewall",
                    "this",
                    json!({"inbound_policy": "DROP", "inbound": [{"action": "ACCEPT", "protocol": "TCP", "ports": null, "ipv4": ["0.0.0.0/0"], "ipv6": null}]}),
                )],
            ),
            &["linode_firewall.this opens ports 1-65535 to the internet; allowed ports: 80, 443"],
        ),
        // Required tags.
        case(
            "aws tags",
            &tags,
            on(
                "aws",
                "eu-west-1",
                vec![
                    resource("aws_vpc", "untagged", json!({"tags": {"Name": "shop"}, "tags_all": {"Name": "shop"}})),
                    resource("aws_vpc", "tagged", json!({"tags": {"canopy_site_id": "s"}})),
                    resource("aws_vpc", "default_tags", json!({"tags": null, "tags_all": {"canopy_site_id": "s"}})),
                    resource("aws_vpc", "computed", json!({})).unknown(json!({"tags": true})),
                    resource("aws_route", "not_taggable", json!({})),
                ],
            ),
            &["aws_vpc.untagged lacks the required tag canopy_site_id"],
        ),
        case(
            "azure tags",
            &tags,
            on(
                "azure",
                "westeurope",
                vec![
                    resource("azurerm_resource_group", "this", json!({"tags": {"canopy_site_id": "s"}})),
                    resource("azurerm_storage_account", "this", json!({"tags": {}})),
                ],
            ),
            &["azurerm_storage_account.this lacks the required tag canopy_site_id"],
        ),
        case(
            "gcp labels, also in nested settings",
            &tags,
            on(
                "gcp",
                "europe-west1",
                vec![
                    resource("google_storage_bucket", "this", json!({"labels": {"canopy_site_id": "s"}})),
                    resource(
                        "google_sql_database_instance",
                        "this",
                        json!({"settings": [{"user_labels": {"team": "x"}}]}),
                    ),
                ],
            ),
            &["google_sql_database_instance.this lacks the required tag canopy_site_id"],
        ),
        case(
            "digitalocean tag lists",
            &tags,
            on(
                "digitalocean",
                "ams3",
                vec![
                    resource("digitalocean_droplet", "a", json!({"tags": ["shop-app", "canopy_site_id:0192"]})),
                    resource("digitalocean_droplet", "b", json!({"tags": ["shop-app"]})),
                    resource("digitalocean_volume", "c", json!({"tags": null})),
                ],
            ),
            &[
                "digitalocean_droplet.b lacks the required tag canopy_site_id",
                "digitalocean_volume.c lacks the required tag canopy_site_id",
            ],
        ),
        case(
            "akamai shortened cost tags",
            &tags,
            on(
                "akamai",
                "eu-west",
                vec![
                    resource("linode_instance", "a", json!({"tags": ["site:0192", "customer:0193"]})),
                    resource("linode_nodebalancer", "b", json!({"tags": []})),
                ],
            ),
            &["linode_nodebalancer.b lacks the required tag canopy_site_id"],
        ),
    ]
}

fn cost_cases() -> Vec<Case> {
    let cost = BuiltinPolicy::Cost(Cost {
        max_site_monthly: Some(Money { currency_code: "USD".to_owned(), minor_units: 50_000 }),
        max_customer_monthly: Some(Money { currency_code: "USD".to_owned(), minor_units: 200_000 }),
    });
    let with = |estimate| {
        let mut document = site("aws", "eu-west-1");
        document.estimate = estimate;
        document
    };
    let mut mismatch = case("estimate in another currency", &cost, with(estimate("EUR", 1, 1)), &[]);
    mismatch.warn = vec![
        "the estimate is in EUR and the max_customer_monthly limit in USD; they were not compared",
        "the estimate is in EUR and the max_site_monthly limit in USD; they were not compared",
    ];
    vec![
        case("no estimate yet", &cost, with(None), &[]),
        case("within both limits", &cost, with(estimate("USD", 50_000, 200_000)), &[]),
        case(
            "above both limits",
            &cost,
            with(estimate("USD", 50_001, 250_000)),
            &[
                "the estimated monthly cost of all the customer's sites is 250000 USD minor units, above the limit of 200000",
                "the estimated monthly cost of this site is 50001 USD minor units, above the limit of 50000",
            ],
        ),
        mismatch,
    ]
}

#[tokio::test]
async fn builtin_policies_block_and_pass_what_they_should_on_every_provider() {
    let contract = contract();
    let cases: Vec<Case> = resource_limit_cases().into_iter().chain(security_cases()).chain(cost_cases()).collect();
    let evaluator = evaluator(Limits::default());
    let mut failures = Vec::new();
    for case in &cases {
        assert_eq!(case.policy.validate(&contract), vec![], "{}: the form is valid", case.name);
        let rego = case.policy.to_rego(&contract);
        compile::check(&rego)
            .unwrap_or_else(|errors| panic!("{}: generated Rego compiles: {errors:?}\n{rego}", case.name));
        let outcomes =
            evaluator.evaluate(&[module(case.name, &rego)], &case.input.to_json()).await.expect("evaluator runs");
        let outcome = &outcomes[0];
        let expected = (case.deny.clone(), case.warn.clone(), None);
        let actual = (
            outcome.deny.iter().map(String::as_str).collect::<Vec<_>>(),
            outcome.warn.iter().map(String::as_str).collect::<Vec<_>>(),
            outcome.error.as_deref(),
        );
        if actual != expected {
            failures.push(format!("{}:\n  expected {expected:?}\n  got      {actual:?}", case.name));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn generated_rego_is_deterministic() {
    let contract = contract();
    let form = |providers: Vec<CloudProvider>| {
        BuiltinPolicy::ResourceLimits(ResourceLimits {
            allowed_providers: providers,
            allowed_regions: BTreeMap::from([(
                CloudProvider::Gcp,
                vec!["europe-west4".to_owned(), "europe-west1".to_owned()],
            )]),
            max_size: Some("medium".to_owned()),
            max_instances: Some(3),
            database_allowed: false,
        })
    };
    let one = form(vec![CloudProvider::Gcp, CloudProvider::Aws]).to_rego(&contract);
    let other = form(vec![CloudProvider::Aws, CloudProvider::Gcp]).to_rego(&contract);
    assert_eq!(one, other);
    assert!(one.contains("allowed_providers := [\"aws\", \"gcp\"]"), "{one}");
    assert!(one.contains("\"gcp\": [\"europe-west1\", \"europe-west4\"],"), "{one}");
    assert!(one.contains("size_rank := {\"small\": 0, \"medium\": 1, \"large\": 2}"), "{one}");
}

#[test]
fn forms_report_out_of_range_fields() {
    let contract = contract();
    let field = |violations: Vec<FieldViolation>| -> Vec<String> { violations.into_iter().map(|v| v.field).collect() };

    let limits = BuiltinPolicy::ResourceLimits(ResourceLimits {
        allowed_providers: vec![CloudProvider::Aws],
        allowed_regions: BTreeMap::from([
            (CloudProvider::Aws, vec!["eu-west-1".to_owned(), "westeurope".to_owned()]),
            (CloudProvider::Azure, vec!["westeurope".to_owned()]),
        ]),
        max_size: Some("huge".to_owned()),
        max_instances: Some(0),
        database_allowed: true,
    });
    assert_eq!(
        field(limits.validate(&contract)),
        vec!["allowed_regions.aws[1]", "allowed_regions.azure", "max_size", "max_instances"]
    );
    let empty = BuiltinPolicy::ResourceLimits(ResourceLimits { database_allowed: true, ..ResourceLimits::default() });
    assert_eq!(
        empty.validate(&contract),
        vec![FieldViolation { field: String::new(), message: "set at least one limit".to_owned() }]
    );

    let security = BuiltinPolicy::Security(Security {
        allowed_ingress_ports: Some(vec![443, 0, 65536, 443]),
        required_tags: vec!["team".to_owned(), "Team".to_owned(), "1st".to_owned(), "a".repeat(64)],
        ..Security::default()
    });
    assert_eq!(
        field(security.validate(&contract)),
        vec![
            "allowed_ingress_ports[1]",
            "allowed_ingress_ports[2]",
            "allowed_ingress_ports[3]",
            "required_tags[1]",
            "required_tags[2]",
            "required_tags[3]"
        ]
    );

    let cost = BuiltinPolicy::Cost(Cost {
        max_site_monthly: Some(Money { currency_code: "usd".to_owned(), minor_units: -1 }),
        max_customer_monthly: None,
    });
    assert_eq!(field(cost.validate(&contract)), vec!["max_site_monthly.currency_code", "max_site_monthly.minor_units"]);
}

#[test]
fn forms_round_trip_as_tagged_json() {
    let form: BuiltinPolicy = serde_json::from_value::<BuiltinPolicy>(json!({
        "kind": "security",
        "storage_encrypted": true,
        "allowed_ingress_ports": [443]
    }))
    .expect("parses");
    assert_eq!(
        form,
        BuiltinPolicy::Security(Security {
            storage_encrypted: true,
            allowed_ingress_ports: Some(vec![443]),
            ..Security::default()
        })
    );
    let _: Value = serde_json::to_value(&form).expect("serialises");
}
