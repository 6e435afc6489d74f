//! The Terraform JSON plan computed without Terraform: the same resources as
//! `plan_site`, attribute values computed from the templates, unknowns and sensitive
//! values marked the way `terraform show -json` marks them, and a hand-made AWS plan
//! in Terraform's own rendering to keep the two from drifting.

use std::collections::{BTreeMap, BTreeSet};

use canopy_terraform::{
    CloudProvider, PlanAction, SiteContract, SiteRuntime, SiteVariables, Tagging, plan_json, plan_json_in_module,
    plan_site, tagging,
};
use serde_json::{Value, json};

use crate::terraform_root;

const SITE_ID: &str = "0192f5e4-7b1c-7cc3-9a51-3f7d2c8e4b10";
const CUSTOMER_ID: &str = "0192f5e4-11aa-7bbb-8ccc-0123456789ab";

fn site(provider: CloudProvider, size: &str, database: bool, storage: bool) -> SiteVariables {
    let contract = SiteContract::load(&terraform_root()).expect("the contract loads");
    SiteVariables {
        site_id: SITE_ID.to_owned(),
        customer_id: CUSTOMER_ID.to_owned(),
        name: "corner-shop".to_owned(),
        region: contract.provider(provider).expect("listed").regions[0].clone(),
        size: size.to_owned(),
        database_enabled: database,
        storage_enabled: storage,
        runtime: SiteRuntime {
            image: "ghcr.io/acme/shop:1.4.2".to_owned(),
            port: 8080,
            env: BTreeMap::from([("LOG_LEVEL".to_owned(), "info".to_owned())]),
        },
        tags: BTreeMap::from([("team".to_owned(), "web".to_owned())]),
    }
}

fn plan(provider: CloudProvider, size: &str, database: bool, storage: bool) -> Value {
    plan_json(&terraform_root(), provider, &site(provider, size, database, storage), PlanAction::Create).expect("plans")
}

/// Every combination the contract offers: small and large, database and storage on and off.
fn combinations() -> Vec<(CloudProvider, &'static str, bool, bool)> {
    let contract = SiteContract::load(&terraform_root()).expect("the contract loads");
    let mut all = Vec::new();
    for provider in CloudProvider::ALL {
        let offer = contract.provider(provider).expect("listed");
        for size in ["small", "large"] {
            for database in [false, true].into_iter().filter(|on| !on || offer.database) {
                for storage in [false, true].into_iter().filter(|on| !on || offer.storage) {
                    all.push((provider, size, database, storage));
                }
            }
        }
    }
    all
}

fn changes(plan: &Value) -> &Vec<Value> {
    plan["resource_changes"].as_array().expect("resource_changes is a list")
}

/// The one resource change at `address`.
fn change<'a>(plan: &'a Value, address: &str) -> &'a Value {
    let found: Vec<&Value> = changes(plan).iter().filter(|change| change["address"] == address).collect();
    assert_eq!(found.len(), 1, "{address} planned {} times", found.len());
    &found[0]["change"]
}

fn after<'a>(plan: &'a Value, address: &str) -> &'a Value {
    &change(plan, address)["after"]
}

/// Resource addresses anywhere in a values representation module.
fn value_addresses(module: &Value, into: &mut BTreeSet<String>) {
    for resource in module["resources"].as_array().into_iter().flatten() {
        into.insert(resource["address"].as_str().expect("address").to_owned());
    }
    for child in module["child_modules"].as_array().into_iter().flatten() {
        let address = child["address"].as_str().expect("child modules carry their address");
        for resource in child["resources"].as_array().into_iter().flatten() {
            let resource_address = resource["address"].as_str().expect("address");
            assert!(resource_address.starts_with(&format!("{address}.")), "{resource_address} is not in {address}");
        }
        value_addresses(child, into);
    }
}

#[test]
fn every_template_plans_exactly_the_resources_plan_site_lists() {
    let root = terraform_root();
    for (provider, size, database, storage) in combinations() {
        let variables = site(provider, size, database, storage);
        let listed: BTreeSet<String> =
            plan_site(&root, provider, &variables).expect("plans").into_iter().map(|r| r.address).collect();
        let document = plan_json(&root, provider, &variables, PlanAction::Create).expect("plans");
        let label = format!("{provider} {size} database={database} storage={storage}");
        assert_eq!(document["format_version"], "1.2", "{label}");
        assert!(document["terraform_version"].as_str().is_some_and(|v| v.starts_with("1.")), "{label}");

        let planned: BTreeSet<String> =
            changes(&document).iter().map(|change| change["address"].as_str().expect("address").to_owned()).collect();
        assert_eq!(planned, listed, "{label}: resource_changes");
        assert_eq!(changes(&document).len(), listed.len(), "{label}: one change per instance");
        let mut values = BTreeSet::new();
        value_addresses(&document["planned_values"]["root_module"], &mut values);
        assert_eq!(values, listed, "{label}: planned_values");

        for entry in changes(&document) {
            let address = entry["address"].as_str().expect("address");
            assert_eq!(entry["mode"], "managed", "{address}");
            assert_eq!(entry["change"]["actions"], json!(["create"]), "{address}");
            assert_eq!(entry["change"]["before"], Value::Null, "{address}");
            assert!(entry["change"]["after"].is_object(), "{address}");
            let kind = entry["type"].as_str().expect("type");
            let name = entry["name"].as_str().expect("name");
            let module = entry["module_address"].as_str().map(|module| format!("{module}.")).unwrap_or_default();
            let index = match &entry["index"] {
                Value::Null => String::new(),
                Value::Number(index) => format!("[{index}]"),
                Value::String(key) => format!("[{key:?}]"),
                other => panic!("{address}: index {other}"),
            };
            assert_eq!(address, format!("{module}{kind}.{name}{index}"), "address parts");
            let provider_name = entry["provider_name"].as_str().expect("provider_name");
            assert!(provider_name.starts_with("registry.terraform.io/"), "{address}: {provider_name}");
        }
        assert_eq!(document["variables"]["site_id"]["value"], SITE_ID, "{label}: root variables carry their values");
        let outputs: BTreeSet<&String> = document["output_changes"].as_object().expect("outputs").keys().collect();
        for output in ["url", "public_addresses", "database_endpoint", "storage_bucket"] {
            assert!(outputs.contains(&output.to_owned()), "{label}: output {output}");
        }
    }
}

#[test]
fn provider_names_are_the_registry_sources_of_required_providers() {
    let expected = [
        (CloudProvider::Aws, "aws_vpc", "registry.terraform.io/hashicorp/aws"),
        (CloudProvider::Azure, "azurerm_virtual_network", "registry.terraform.io/hashicorp/azurerm"),
        (CloudProvider::Azure, "random_password", "registry.terraform.io/hashicorp/random"),
        (CloudProvider::Gcp, "google_compute_network", "registry.terraform.io/hashicorp/google"),
        (CloudProvider::DigitalOcean, "digitalocean_vpc", "registry.terraform.io/digitalocean/digitalocean"),
        (CloudProvider::Akamai, "linode_vpc", "registry.terraform.io/linode/linode"),
    ];
    for (provider, kind, name) in expected {
        let database = provider != CloudProvider::Akamai;
        let document = plan(provider, "small", database, false);
        let entry = changes(&document).iter().find(|change| change["type"] == kind).expect("planned");
        assert_eq!(entry["provider_name"], name, "{kind}");
    }
}

#[test]
fn database_size_encryption_and_privacy_come_from_the_templates() {
    for (size, class, multi_az) in [("small", "db.t4g.micro", false), ("large", "db.m7g.large", true)] {
        let document = plan(CloudProvider::Aws, size, true, false);
        let db = after(&document, "module.database[0].aws_db_instance.this");
        assert_eq!(db["instance_class"], class, "{size}");
        assert_eq!(db["multi_az"], multi_az, "{size}");
        assert_eq!(db["storage_encrypted"], true);
        assert_eq!(db["publicly_accessible"], false);
        assert_eq!(db["engine"], "postgres");
        assert_eq!(db["engine_version"], "16");
        // Read from another resource's configured name, which Terraform knows at plan time.
        assert_eq!(db["db_subnet_group_name"], "corner-shop-2c8e4b10");
        let parameters = after(&document, "module.database[0].aws_db_parameter_group.this");
        assert_eq!(parameters["parameter"][0], json!({ "name": "rds.force_ssl", "value": "1" }));
    }
    for (size, sku, ha) in [
        ("small", "B_Standard_B1ms", json!([])),
        ("large", "GP_Standard_D4ds_v5", json!([{ "mode": "ZoneRedundant" }])),
    ] {
        let document = plan(CloudProvider::Azure, size, true, false);
        let db = after(&document, "module.database[0].azurerm_postgresql_flexible_server.this");
        assert_eq!(db["sku_name"], sku, "{size}");
        assert_eq!(db["high_availability"], ha, "{size}");
        assert_eq!(db["public_network_access_enabled"], false);
        assert_eq!(db["location"], "eastus");
    }
    for (size, tier, availability) in
        [("small", "db-custom-1-3840", "ZONAL"), ("large", "db-custom-4-15360", "REGIONAL")]
    {
        let document = plan(CloudProvider::Gcp, size, true, false);
        let settings = &after(&document, "module.database[0].google_sql_database_instance.this")["settings"][0];
        assert_eq!(settings["tier"], tier, "{size}");
        assert_eq!(settings["availability_type"], availability, "{size}");
        assert_eq!(settings["ip_configuration"][0]["ipv4_enabled"], false, "no public IP");
        assert_eq!(settings["ip_configuration"][0]["ssl_mode"], "ENCRYPTED_ONLY");
        assert_eq!(settings["user_labels"]["canopy_site_id"], SITE_ID);
    }
    for (size, db_size, nodes) in [("small", "db-s-1vcpu-1gb", 1), ("large", "db-s-2vcpu-4gb", 2)] {
        let document = plan(CloudProvider::DigitalOcean, size, true, false);
        let cluster = after(&document, "module.database[0].digitalocean_database_cluster.this");
        assert_eq!(cluster["size"], db_size, "{size}");
        assert_eq!(cluster["node_count"], nodes, "{size}");
        assert_eq!(cluster["region"], "nyc3");
    }
}

#[test]
fn storage_encryption_and_public_access_come_from_the_templates() {
    let aws = plan(CloudProvider::Aws, "small", false, true);
    let encryption = after(&aws, "module.storage[0].aws_s3_bucket_server_side_encryption_configuration.this");
    assert_eq!(encryption["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"], "AES256");
    let block = after(&aws, "module.storage[0].aws_s3_bucket_public_access_block.this");
    for flag in ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] {
        assert_eq!(block[flag], true, "{flag}");
    }
    assert_eq!(after(&aws, "module.storage[0].aws_s3_bucket.this")["bucket"], format!("canopy-{SITE_ID}"));

    let azure = plan(CloudProvider::Azure, "small", false, true);
    let account = after(&azure, "module.storage[0].azurerm_storage_account.this");
    assert_eq!(account["infrastructure_encryption_enabled"], true);
    assert_eq!(account["allow_nested_items_to_be_public"], false);
    assert_eq!(account["min_tls_version"], "TLS1_2");

    let gcp = plan(CloudProvider::Gcp, "small", false, true);
    let bucket = after(&gcp, "module.storage[0].google_storage_bucket.this");
    assert_eq!(bucket["public_access_prevention"], "enforced");
    assert_eq!(bucket["uniform_bucket_level_access"], true);
    // No CMEK given: the dynamic encryption block expands to nothing (Google-managed keys).
    assert_eq!(bucket["encryption"], json!([]));

    let digitalocean = plan(CloudProvider::DigitalOcean, "small", false, true);
    let space = after(&digitalocean, "module.storage[0].digitalocean_spaces_bucket.this");
    assert_eq!(space["acl"], "private");
}

#[test]
fn load_balancer_and_firewall_ports_come_from_the_templates() {
    let aws = plan(CloudProvider::Aws, "small", true, false);
    let listener = after(&aws, "module.compute.aws_lb_listener.http");
    assert_eq!((listener["port"].clone(), listener["protocol"].clone()), (json!(80), json!("HTTP")));
    assert_eq!(listener["default_action"][0]["type"], "forward");
    assert_eq!(after(&aws, "module.compute.aws_lb.this")["internal"], false);
    let target_group = after(&aws, "module.compute.aws_lb_target_group.this");
    assert_eq!(target_group["port"], 8080, "the runtime port");
    for (rule, port, cidr) in [
        ("load_balancer_http", 80, Some("0.0.0.0/0")),
        ("load_balancer_https", 443, Some("0.0.0.0/0")),
        ("app_from_load_balancer", 8080, None),
        ("database_from_app", 5432, None),
    ] {
        let ingress = after(&aws, &format!("module.network.aws_vpc_security_group_ingress_rule.{rule}"));
        assert_eq!(ingress["from_port"], port, "{rule}");
        assert_eq!(ingress["to_port"], port, "{rule}");
        assert_eq!(ingress["ip_protocol"], "tcp", "{rule}");
        assert_eq!(ingress["cidr_ipv4"].as_str(), cidr, "{rule}");
    }

    let azure = plan(CloudProvider::Azure, "small", true, false);
    let rules = &after(&azure, "module.network.azurerm_network_security_group.database")["security_rule"];
    assert!(
        rules.as_array().expect("rules").iter().any(|rule| rule["destination_port_range"] == "5432"
            && rule["direction"] == "Inbound"
            && rule["access"] == "Allow"),
        "{rules}"
    );
    assert_eq!(after(&azure, "module.compute.azurerm_linux_web_app.this")["https_only"], true);

    let gcp = plan(CloudProvider::Gcp, "small", true, false);
    let service = after(&gcp, "module.compute.google_cloud_run_v2_service.this");
    assert_eq!(service["template"][0]["containers"][0]["ports"][0]["container_port"], 8080);
    assert_eq!(service["ingress"], "INGRESS_TRAFFIC_ALL");
    let firewall = after(&gcp, "module.network.google_compute_firewall.deny_all_ingress");
    assert_eq!(firewall["direction"], "INGRESS");
    assert_eq!(firewall["source_ranges"], json!(["0.0.0.0/0"]));

    let digitalocean = plan(CloudProvider::DigitalOcean, "small", false, false);
    let balancer = after(&digitalocean, "module.compute.digitalocean_loadbalancer.this");
    assert_eq!(
        balancer["forwarding_rule"],
        json!([{ "entry_port": 80, "entry_protocol": "http", "target_port": 8080, "target_protocol": "http" }])
    );
    let firewall = after(&digitalocean, "module.network.digitalocean_firewall.this");
    let inbound = firewall["inbound_rule"].as_array().expect("inbound rules");
    assert!(inbound.iter().all(|rule| rule["port_range"] != "22"), "SSH stays closed without a source range");
    assert!(inbound.iter().any(|rule| rule["port_range"] == "8080" && rule["protocol"] == "tcp"), "{inbound:?}");

    let akamai = plan(CloudProvider::Akamai, "small", false, false);
    let config = after(&akamai, "module.compute.linode_nodebalancer_config.http");
    assert_eq!((config["port"].clone(), config["protocol"].clone()), (json!(80), json!("http")));
    let firewall = after(&akamai, "module.network.linode_firewall.this");
    assert_eq!(firewall["inbound_policy"], "DROP");
    assert!(
        firewall["inbound"].as_array().expect("inbound rules").iter().all(|rule| rule["ports"] != "22"),
        "no SSH rule without a source range"
    );
}

#[test]
fn sizes_decide_instance_types_and_counts() {
    for (size, task_cpu, desired) in [("small", 256, 1), ("large", 1024, 2)] {
        let aws = plan(CloudProvider::Aws, size, false, false);
        assert_eq!(after(&aws, "module.compute.aws_ecs_task_definition.this")["cpu"], task_cpu, "{size}");
        assert_eq!(after(&aws, "module.compute.aws_ecs_service.this")["desired_count"], desired, "{size}");
    }
    for (size, sku) in [("small", "P0v3"), ("large", "P2v3")] {
        let azure = plan(CloudProvider::Azure, size, false, false);
        assert_eq!(after(&azure, "module.compute.azurerm_service_plan.this")["sku_name"], sku, "{size}");
    }
    for (size, droplet, count) in [("small", "s-1vcpu-1gb", 1), ("large", "s-4vcpu-8gb", 3)] {
        let digitalocean = plan(CloudProvider::DigitalOcean, size, false, false);
        let droplets: Vec<&Value> =
            changes(&digitalocean).iter().filter(|change| change["type"] == "digitalocean_droplet").collect();
        assert_eq!(droplets.len(), count, "{size}");
        for (index, entry) in droplets.iter().enumerate() {
            assert_eq!(entry["index"], index, "{size}");
            assert_eq!(entry["change"]["after"]["size"], droplet, "{size}");
            assert_eq!(entry["change"]["after"]["name"], format!("corner-shop-2c8e4b10-{}", index + 1));
        }
    }
    for (size, kind) in [("small", "g6-nanode-1"), ("large", "g6-standard-4")] {
        let akamai = plan(CloudProvider::Akamai, size, false, false);
        assert_eq!(after(&akamai, "module.compute.linode_instance.this[0]")["type"], kind, "{size}");
        assert_eq!(after(&akamai, "module.compute.linode_instance.this[0]")["region"], "us-east");
    }
}

#[test]
fn every_taggable_resource_carries_the_cost_tags() {
    for (provider, size, database, storage) in combinations() {
        let document = plan(provider, size, database, storage);
        let mut tagged = 0;
        for entry in changes(&document) {
            let address = entry["address"].as_str().expect("address");
            let after = &entry["change"]["after"];
            let Tagging::Taggable(path) = tagging(entry["type"].as_str().expect("type")) else {
                continue;
            };
            // `settings.user_labels`: nested blocks are lists of objects in a plan.
            let mut tags = after;
            for step in path.split('.') {
                tags = if tags.is_array() { &tags[0][step] } else { &tags[step] };
            }
            match tags {
                Value::Object(tags) => {
                    assert_eq!(tags.get("canopy_site_id"), Some(&json!(SITE_ID)), "{address} {path}");
                    assert_eq!(tags.get("canopy_customer_id"), Some(&json!(CUSTOMER_ID)), "{address} {path}");
                    assert_eq!(tags.get("team"), Some(&json!("web")), "{address}: user tags kept");
                }
                // DigitalOcean and Linode tag with "key:value" strings; Linode shortens the
                // cost keys to site: and customer:.
                Value::Array(tags) => {
                    let site = [json!(format!("canopy_site_id:{SITE_ID}")), json!(format!("site:{SITE_ID}"))];
                    assert!(tags.iter().any(|tag| site.contains(tag)), "{address}: {tags:?}");
                }
                other => panic!("{address}: {path} is {other}"),
            }
            tagged += 1;
            if provider == CloudProvider::Aws {
                assert_eq!(after["tags_all"], after["tags"], "{address}: tags_all without default_tags");
            }
        }
        assert!(tagged >= 1, "{provider}: no tagged resources");
    }
}

#[test]
fn values_known_only_after_apply_are_absent_and_marked_unknown() {
    let aws = plan(CloudProvider::Aws, "small", true, false);
    let db = change(&aws, "module.database[0].aws_db_instance.this");
    // Security groups are module outputs of resource ids: unknown until apply.
    assert!(db["after"].get("vpc_security_group_ids").is_none());
    assert_eq!(db["after_unknown"]["vpc_security_group_ids"], true);
    assert!(db["after_unknown"].get("instance_class").is_none(), "known values are not marked");
    // Known collections are mirrored with their known leaves omitted or false.
    assert_eq!(db["after_unknown"]["tags"], json!({}));
    assert_eq!(db["after_unknown"]["enabled_cloudwatch_logs_exports"], json!([false, false]));

    let listener = change(&aws, "module.compute.aws_lb_listener.http");
    assert_eq!(listener["after_unknown"]["load_balancer_arn"], true);
    assert_eq!(listener["after_unknown"]["default_action"][0]["target_group_arn"], true);
    assert!(listener["after"]["default_action"][0].get("target_group_arn").is_none());

    // A list with an unknown element keeps its place with null.
    let balancer = change(&aws, "module.compute.aws_lb.this");
    assert_eq!(balancer["after"]["security_groups"], json!([null]));
    assert_eq!(balancer["after_unknown"]["security_groups"], json!([true]));

    // Wholly known values have an empty after_unknown, as Terraform writes it.
    let vpc = change(&aws, "module.network.aws_vpc.this");
    assert_eq!(vpc["after_unknown"], json!({}));
    assert_eq!(vpc["after"]["cidr_block"], "10.0.0.0/16");
    assert_eq!(after(&aws, "module.network.aws_subnet.private[1]")["cidr_block"], "10.0.144.0/20");

    let url = &aws["output_changes"]["url"];
    assert_eq!(url["after_unknown"], true);
    assert_eq!(url["after"], Value::Null);
    assert!(aws["planned_values"]["outputs"]["url"].get("value").is_none());
    assert_eq!(aws["output_changes"]["public_addresses"]["after_unknown"], json!([true]));
}

#[test]
fn values_from_sensitive_variables_are_marked_sensitive() {
    for (provider, address, path) in [
        (CloudProvider::DigitalOcean, "module.compute.digitalocean_droplet.this[0]", "/user_data"),
        (CloudProvider::Akamai, "module.compute.linode_instance.this[0]", "/metadata/0/user_data"),
    ] {
        let database = provider != CloudProvider::Akamai;
        let document = plan(provider, "small", database, false);
        let planned = change(&document, address);
        assert_eq!(planned["after_sensitive"].pointer(path), Some(&json!(true)), "{provider}");
        assert_eq!(planned["after_sensitive"].get("name"), None, "{provider}: only what reads the secret");
        let values = document["planned_values"]["root_module"]["child_modules"]
            .as_array()
            .expect("child modules")
            .iter()
            .flat_map(|child| child["resources"].as_array().cloned().unwrap_or_default())
            .find(|resource| resource["address"] == address)
            .expect("in planned_values");
        assert_eq!(values["sensitive_values"].pointer(path), Some(&json!(true)), "{provider}");
    }
    let aws = plan(CloudProvider::Aws, "small", true, true);
    for entry in changes(&aws) {
        assert_eq!(entry["change"]["before_sensitive"], false);
        assert!(!entry["change"]["after_sensitive"].to_string().contains("true"), "{}", entry["address"]);
    }
}

#[test]
fn delete_and_update_plans_hold_what_create_would_make() {
    let root = terraform_root();
    let variables = site(CloudProvider::Aws, "large", true, true);
    let create = plan_json(&root, CloudProvider::Aws, &variables, PlanAction::Create).expect("plans");
    let delete = plan_json(&root, CloudProvider::Aws, &variables, PlanAction::Delete).expect("plans");
    let update = plan_json(&root, CloudProvider::Aws, &variables, PlanAction::Update).expect("plans");
    assert_eq!(changes(&delete).len(), changes(&create).len());
    for (created, deleted) in changes(&create).iter().zip(changes(&delete)) {
        assert_eq!(created["address"], deleted["address"]);
        assert_eq!(deleted["change"]["actions"], json!(["delete"]));
        assert_eq!(deleted["change"]["before"], created["change"]["after"]);
        assert_eq!(deleted["change"]["after"], Value::Null);
        assert_eq!(deleted["change"]["after_sensitive"], false);
    }
    assert_eq!(delete["planned_values"]["root_module"], json!({}), "nothing is left after a destroy");
    let mut prior = BTreeSet::new();
    value_addresses(&delete["prior_state"]["values"]["root_module"], &mut prior);
    assert_eq!(prior.len(), changes(&create).len(), "the prior state holds what is destroyed");
    assert_eq!(
        after(&create, "module.database[0].aws_db_instance.this")["instance_class"],
        change(&delete, "module.database[0].aws_db_instance.this")["before"]["instance_class"]
    );
    for (created, updated) in changes(&create).iter().zip(changes(&update)) {
        assert_eq!(updated["change"]["actions"], json!(["update"]));
        assert_eq!(updated["change"]["before"], created["change"]["after"]);
        assert_eq!(updated["change"]["after"], created["change"]["after"]);
    }
    assert!(create.get("prior_state").is_none(), "a new site has no prior state");
}

#[test]
fn the_provisioners_root_module_nests_everything_under_its_module_call() {
    let root = terraform_root();
    let variables = site(CloudProvider::Aws, "small", true, false);
    let bare = plan_json(&root, CloudProvider::Aws, &variables, PlanAction::Create).expect("plans");
    let nested = plan_json_in_module(&root, CloudProvider::Aws, &variables, PlanAction::Create, "site").expect("plans");
    for (plain, wrapped) in changes(&bare).iter().zip(changes(&nested)) {
        let address = plain["address"].as_str().expect("address");
        assert_eq!(wrapped["address"], format!("module.site.{address}"));
        assert_eq!(wrapped["change"], plain["change"]);
        let module = plain["module_address"].as_str().map(|m| format!("module.site.{m}"));
        assert_eq!(wrapped["module_address"].as_str(), Some(module.as_deref().unwrap_or("module.site")));
    }
    let top = &nested["planned_values"]["root_module"];
    assert!(top.get("resources").is_none());
    assert_eq!(top["child_modules"][0]["address"], "module.site");
    let inner: BTreeSet<&str> = top["child_modules"][0]["child_modules"]
        .as_array()
        .expect("template modules")
        .iter()
        .filter_map(|child| child["address"].as_str())
        .collect();
    assert_eq!(
        inner,
        BTreeSet::from(["module.site.module.compute", "module.site.module.database[0]", "module.site.module.network"])
    );
    assert_eq!(nested["variables"], bare["variables"]);
    assert_eq!(nested["output_changes"], bare["output_changes"]);
}

/// The hand-made `terraform show -json` document (see `tests/fixtures/README.md`) and
/// the computed plan agree on the managed resources and on what policies read.
#[test]
fn the_computed_aws_plan_matches_terraforms_rendering_of_the_template() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws-plan.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("JSON");
    let mut variables = site(CloudProvider::Aws, "medium", true, true);
    variables.runtime.env.clear();
    variables.tags.clear();
    assert_eq!(fixture["variables"]["size"]["value"], "medium", "the fixture is a medium site");
    let computed = plan_json(&terraform_root(), CloudProvider::Aws, &variables, PlanAction::Create).expect("plans");
    assert_eq!(computed["format_version"], fixture["format_version"]);

    let managed = |document: &Value| -> BTreeMap<String, (Value, Value, Value)> {
        changes(document)
            .iter()
            .filter(|change| change["mode"] == "managed")
            .map(|change| {
                let address = change["address"].as_str().expect("address").to_owned();
                (address, (change["type"].clone(), change["provider_name"].clone(), change["index"].clone()))
            })
            .collect()
    };
    assert_eq!(managed(&computed), managed(&fixture), "managed resources, types, providers and indexes");
    for (name, variable) in fixture["variables"].as_object().expect("variables") {
        assert_eq!(computed["variables"][name], *variable, "variable {name}");
    }

    // What policies read, attribute by attribute.
    let read = [
        ("module.database[0].aws_db_instance.this", "/instance_class"),
        ("module.database[0].aws_db_instance.this", "/storage_encrypted"),
        ("module.database[0].aws_db_instance.this", "/publicly_accessible"),
        ("module.database[0].aws_db_instance.this", "/multi_az"),
        ("module.database[0].aws_db_instance.this", "/allocated_storage"),
        ("module.database[0].aws_db_instance.this", "/tags"),
        ("module.database[0].aws_db_instance.this", "/tags_all"),
        ("module.compute.aws_lb_listener.http", "/port"),
        ("module.compute.aws_lb_listener.http", "/protocol"),
        ("module.compute.aws_lb_listener.http", "/default_action/0/type"),
        ("module.compute.aws_lb.this", "/internal"),
        ("module.compute.aws_lb.this", "/drop_invalid_header_fields"),
        ("module.compute.aws_lb_target_group.this", "/port"),
        ("module.compute.aws_lb_target_group.this", "/protocol"),
        ("module.compute.aws_ecs_task_definition.this", "/cpu"),
        ("module.compute.aws_ecs_task_definition.this", "/memory"),
        ("module.compute.aws_ecs_service.this", "/desired_count"),
        ("module.compute.aws_ecs_service.this", "/network_configuration/0/assign_public_ip"),
        ("module.network.aws_vpc_security_group_ingress_rule.load_balancer_http", "/from_port"),
        ("module.network.aws_vpc_security_group_ingress_rule.load_balancer_http", "/cidr_ipv4"),
        ("module.network.aws_vpc_security_group_ingress_rule.load_balancer_https", "/to_port"),
        ("module.network.aws_vpc_security_group_ingress_rule.app_from_load_balancer", "/from_port"),
        ("module.network.aws_vpc_security_group_ingress_rule.database_from_app", "/from_port"),
        ("module.network.aws_vpc.this", "/cidr_block"),
        ("module.network.aws_vpc.this", "/tags"),
        ("module.storage[0].aws_s3_bucket.this", "/bucket"),
        ("module.storage[0].aws_s3_bucket.this", "/tags"),
        ("module.storage[0].aws_s3_bucket_public_access_block.this", "/block_public_acls"),
        ("module.storage[0].aws_s3_bucket_public_access_block.this", "/restrict_public_buckets"),
        (
            "module.storage[0].aws_s3_bucket_server_side_encryption_configuration.this",
            "/rule/0/apply_server_side_encryption_by_default/0/sse_algorithm",
        ),
        ("module.storage[0].aws_s3_bucket_versioning.this", "/versioning_configuration/0/status"),
    ];
    for (address, pointer) in read {
        let expected = change(&fixture, address)["after"].pointer(pointer);
        assert!(expected.is_some(), "the fixture sets {address}{pointer}");
        assert_eq!(change(&computed, address)["after"].pointer(pointer), expected, "{address}{pointer}");
    }
    // Unknown in both: what only apply decides.
    for (address, attribute) in [
        ("module.database[0].aws_db_instance.this", "vpc_security_group_ids"),
        ("module.compute.aws_lb_listener.http", "load_balancer_arn"),
        ("module.compute.aws_lb.this", "subnets"),
        ("module.network.aws_vpc_security_group_ingress_rule.load_balancer_http", "security_group_id"),
    ] {
        assert_eq!(change(&fixture, address)["after_unknown"][attribute], true, "fixture {address}.{attribute}");
        assert_eq!(change(&computed, address)["after_unknown"][attribute], true, "{address}.{attribute}");
    }
}
