//! Which resource types carry tags (labels on Google Cloud), and in which argument.
//!
//! The lists are explicit on both sides on purpose: a resource type that is in neither
//! list is reported by the checks, so adding a new resource to a module forces a decision
//! about its cost tags instead of silently creating an untagged, unattributable resource.

/// How a resource type takes tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagging {
    /// The type is tagged through this argument, written as a dotted path through nested
    /// blocks (`settings.user_labels` for Cloud SQL).
    Taggable(&'static str),
    /// The type has no tags of its own (associations, rules, IAM bindings, and the like).
    NotTaggable,
    /// The type is in neither list; the lists must be extended.
    Unknown,
}

/// Resource types that take tags, with the argument that holds them.
const TAGGABLE: &[(&str, &str)] = &[
    // AWS: `tags`, a map.
    ("aws_acm_certificate", "tags"),
    ("aws_appautoscaling_target", "tags"),
    ("aws_cloudwatch_log_group", "tags"),
    ("aws_db_instance", "tags"),
    ("aws_db_parameter_group", "tags"),
    ("aws_db_subnet_group", "tags"),
    ("aws_default_security_group", "tags"),
    ("aws_ecr_repository", "tags"),
    ("aws_ecs_cluster", "tags"),
    ("aws_ecs_service", "tags"),
    ("aws_ecs_task_definition", "tags"),
    ("aws_eip", "tags"),
    ("aws_flow_log", "tags"),
    ("aws_iam_policy", "tags"),
    ("aws_iam_role", "tags"),
    ("aws_internet_gateway", "tags"),
    ("aws_kms_key", "tags"),
    ("aws_lb", "tags"),
    ("aws_lb_listener", "tags"),
    ("aws_lb_listener_rule", "tags"),
    ("aws_lb_target_group", "tags"),
    ("aws_nat_gateway", "tags"),
    ("aws_route_table", "tags"),
    ("aws_s3_bucket", "tags"),
    ("aws_secretsmanager_secret", "tags"),
    ("aws_security_group", "tags"),
    ("aws_subnet", "tags"),
    ("aws_vpc", "tags"),
    ("aws_vpc_security_group_egress_rule", "tags"),
    ("aws_vpc_security_group_ingress_rule", "tags"),
    // Azure: `tags`, a map.
    ("azurerm_key_vault", "tags"),
    ("azurerm_linux_web_app", "tags"),
    ("azurerm_log_analytics_workspace", "tags"),
    ("azurerm_monitor_autoscale_setting", "tags"),
    ("azurerm_nat_gateway", "tags"),
    ("azurerm_network_security_group", "tags"),
    ("azurerm_postgresql_flexible_server", "tags"),
    ("azurerm_private_dns_zone", "tags"),
    ("azurerm_private_dns_zone_virtual_network_link", "tags"),
    ("azurerm_public_ip", "tags"),
    ("azurerm_resource_group", "tags"),
    ("azurerm_service_plan", "tags"),
    ("azurerm_storage_account", "tags"),
    ("azurerm_user_assigned_identity", "tags"),
    ("azurerm_virtual_network", "tags"),
    // Google Cloud: `labels`, a map with a restricted alphabet.
    ("google_cloud_run_v2_service", "labels"),
    ("google_compute_address", "labels"),
    ("google_compute_disk", "labels"),
    ("google_compute_global_address", "labels"),
    ("google_compute_instance", "labels"),
    ("google_compute_instance_template", "labels"),
    ("google_kms_crypto_key", "labels"),
    ("google_secret_manager_secret", "labels"),
    ("google_sql_database_instance", "settings.user_labels"),
    ("google_storage_bucket", "labels"),
    // DigitalOcean: `tags`, a list of strings.
    ("digitalocean_database_cluster", "tags"),
    ("digitalocean_droplet", "tags"),
    ("digitalocean_kubernetes_cluster", "tags"),
    ("digitalocean_volume", "tags"),
    // Akamai (Linode): `tags`, a list of strings.
    ("linode_domain", "tags"),
    ("linode_firewall", "tags"),
    ("linode_instance", "tags"),
    ("linode_lke_cluster", "tags"),
    ("linode_nodebalancer", "tags"),
    ("linode_volume", "tags"),
];

/// Resource types that have no tags of their own.
const NOT_TAGGABLE: &[&str] = &[
    // AWS: associations, routes, policies and bucket sub-resources.
    "aws_appautoscaling_policy",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_lb_target_group_attachment",
    "aws_route",
    "aws_route53_record",
    "aws_route_table_association",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_security_group_rule",
    // Azure: subnets, associations, server children and role assignments.
    "azurerm_nat_gateway_public_ip_association",
    "azurerm_network_security_rule",
    "azurerm_postgresql_flexible_server_configuration",
    "azurerm_postgresql_flexible_server_database",
    "azurerm_postgresql_flexible_server_firewall_rule",
    "azurerm_role_assignment",
    "azurerm_storage_container",
    "azurerm_subnet",
    "azurerm_subnet_nat_gateway_association",
    "azurerm_subnet_network_security_group_association",
    // Google Cloud: network plumbing, IAM bindings and Cloud SQL children.
    "google_cloud_run_v2_service_iam_member",
    "google_compute_firewall",
    "google_compute_network",
    "google_compute_router",
    "google_compute_router_nat",
    "google_compute_subnetwork",
    "google_project_iam_member",
    "google_service_account",
    "google_service_networking_connection",
    "google_sql_database",
    "google_sql_user",
    "google_storage_bucket_iam_member",
    // DigitalOcean. `digitalocean_firewall` has a `tags` argument, but it selects the
    // droplets the firewall applies to; it is not metadata about the firewall.
    "digitalocean_certificate",
    "digitalocean_database_db",
    "digitalocean_database_firewall",
    "digitalocean_database_user",
    "digitalocean_firewall",
    "digitalocean_loadbalancer",
    "digitalocean_project_resources",
    "digitalocean_record",
    "digitalocean_spaces_bucket",
    "digitalocean_spaces_bucket_policy",
    "digitalocean_tag",
    "digitalocean_vpc",
    // Akamai (Linode).
    "linode_firewall_device",
    "linode_nodebalancer_config",
    "linode_nodebalancer_node",
    "linode_object_storage_bucket",
    "linode_rdns",
    "linode_vpc",
    "linode_vpc_subnet",
    // Utility providers create no cloud resources.
    "random_id",
    "random_password",
    "random_string",
    "terraform_data",
];

/// How `resource_type` takes tags.
pub fn tagging(resource_type: &str) -> Tagging {
    if let Some((_, attribute)) = TAGGABLE.iter().find(|(kind, _)| *kind == resource_type) {
        return Tagging::Taggable(attribute);
    }
    if NOT_TAGGABLE.contains(&resource_type) {
        return Tagging::NotTaggable;
    }
    Tagging::Unknown
}

/// Every resource type with a known tagging rule, for documentation and tests.
pub fn known_resource_types() -> impl Iterator<Item = &'static str> {
    TAGGABLE.iter().map(|(kind, _)| *kind).chain(NOT_TAGGABLE.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_type_is_in_both_lists() {
        for (kind, _) in TAGGABLE {
            assert!(!NOT_TAGGABLE.contains(kind), "{kind} is listed as taggable and as not taggable");
        }
    }

    #[test]
    fn lists_are_sorted_within_each_provider_so_additions_are_easy_to_review() {
        let mut previous = "";
        for (kind, _) in TAGGABLE {
            let same_provider = previous.split('_').next() == kind.split('_').next();
            assert!(!same_provider || previous < *kind, "{kind} is out of order");
            previous = kind;
        }
    }

    #[test]
    fn answers_for_each_kind_of_type() {
        assert_eq!(tagging("google_sql_database_instance"), Tagging::Taggable("settings.user_labels"));
        assert_eq!(tagging("aws_route"), Tagging::NotTaggable);
        assert_eq!(tagging("aws_brand_new_thing"), Tagging::Unknown);
    }
}
