//! Providers' service and product names mapped to Canopy's resource types, by the words
//! they use: "Amazon Relational Database Service", "Microsoft.DBforPostgreSQL/flexibleServers",
//! "Cloud SQL", "Managed Databases" are all a database. Checked in order, so "Load
//! Balancer" wins over a generic "network" and "EC2 - Other" (volumes, NAT, transfer
//! billed under EC2) stays "other" rather than compute.

use crate::ResourceType;

/// Whole words (split on anything but letters and digits, lower case) that decide a type.
const WORDS: &[(&str, ResourceType)] = &[
    ("elb", ResourceType::LoadBalancer),
    ("nodebalancer", ResourceType::LoadBalancer),
    ("nodebalancers", ResourceType::LoadBalancer),
    ("loadbalancers", ResourceType::LoadBalancer),
    ("applicationgateways", ResourceType::LoadBalancer),
    ("lb", ResourceType::LoadBalancer),
    ("rds", ResourceType::Database),
    ("sql", ResourceType::Database),
    ("dbaas", ResourceType::Database),
    ("database", ResourceType::Database),
    ("databases", ResourceType::Database),
    ("dynamodb", ResourceType::Database),
    ("elasticache", ResourceType::Database),
    ("redis", ResourceType::Database),
    ("s3", ResourceType::Storage),
    ("storage", ResourceType::Storage),
    ("spaces", ResourceType::Storage),
    ("volume", ResourceType::Storage),
    ("volumes", ResourceType::Storage),
    ("ebs", ResourceType::Storage),
    ("snapshot", ResourceType::Storage),
    ("snapshots", ResourceType::Storage),
    ("backup", ResourceType::Storage),
    ("backups", ResourceType::Storage),
    ("storageaccounts", ResourceType::Storage),
    ("nat", ResourceType::Network),
    ("natgateways", ResourceType::Network),
    ("vpc", ResourceType::Network),
    ("ip", ResourceType::Network),
    ("ips", ResourceType::Network),
    ("ipv4", ResourceType::Network),
    ("publicipaddresses", ResourceType::Network),
    ("virtualnetworks", ResourceType::Network),
    ("bandwidth", ResourceType::Network),
    ("transfer", ResourceType::Network),
    ("egress", ResourceType::Network),
    ("networking", ResourceType::Network),
    ("network", ResourceType::Network),
    ("ec2", ResourceType::Compute),
    ("ecs", ResourceType::Compute),
    ("eks", ResourceType::Compute),
    ("fargate", ResourceType::Compute),
    ("lambda", ResourceType::Compute),
    ("compute", ResourceType::Compute),
    ("droplet", ResourceType::Compute),
    ("droplets", ResourceType::Compute),
    ("drop", ResourceType::Compute),
    ("linode", ResourceType::Compute),
    ("linodes", ResourceType::Compute),
    ("kubernetes", ResourceType::Compute),
    ("run", ResourceType::Compute),
    ("functions", ResourceType::Compute),
    ("container", ResourceType::Compute),
    ("containerapps", ResourceType::Compute),
    ("virtualmachines", ResourceType::Compute),
];

/// Phrases that decide a type before single words do.
const PHRASES: &[(&str, ResourceType)] = &[
    ("ec2 - other", ResourceType::Other),
    ("load balanc", ResourceType::LoadBalancer),
    ("application gateway", ResourceType::LoadBalancer),
    ("front door", ResourceType::LoadBalancer),
    ("dbfor", ResourceType::Database),
    ("cosmos", ResourceType::Database),
    ("memorystore", ResourceType::Database),
    ("simple storage", ResourceType::Storage),
    ("block storage", ResourceType::Storage),
    ("object storage", ResourceType::Storage),
    ("virtual private cloud", ResourceType::Network),
    ("data transfer", ResourceType::Network),
    ("app service", ResourceType::Compute),
    ("app platform", ResourceType::Compute),
    ("microsoft.web/", ResourceType::Compute),
    ("elastic compute", ResourceType::Compute),
    ("compute engine", ResourceType::Compute),
    ("virtual machine", ResourceType::Compute),
];

/// The type of whatever `names` (service, product, SKU, description…) describe; the
/// first name that decides wins.
pub(crate) fn classify(names: &[&str]) -> ResourceType {
    for name in names {
        if let Some(kind) = classify_one(name) {
            return kind;
        }
    }
    ResourceType::Other
}

fn classify_one(name: &str) -> Option<ResourceType> {
    let lower = name.to_ascii_lowercase();
    if let Some((_, kind)) = PHRASES.iter().find(|(phrase, _)| lower.contains(phrase)) {
        return Some(*kind);
    }
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    // The table's order decides between words (load balancer before network before compute).
    WORDS.iter().find(|(word, _)| words.contains(word)).map(|(_, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_providers_names() {
        let cases = [
            ("Amazon Elastic Compute Cloud - Compute", ResourceType::Compute),
            ("Amazon Elastic Container Service", ResourceType::Compute),
            ("Amazon Relational Database Service", ResourceType::Database),
            ("Amazon Elastic Load Balancing", ResourceType::LoadBalancer),
            ("Amazon Simple Storage Service", ResourceType::Storage),
            ("Amazon Virtual Private Cloud", ResourceType::Network),
            ("AWS Data Transfer", ResourceType::Network),
            ("EC2 - Other", ResourceType::Other),
            ("Microsoft.Web/sites", ResourceType::Compute),
            ("microsoft.dbforpostgresql/flexibleservers", ResourceType::Database),
            ("Microsoft.Network/loadBalancers", ResourceType::LoadBalancer),
            ("Microsoft.Network/publicIPAddresses", ResourceType::Network),
            ("Microsoft.Storage/storageAccounts", ResourceType::Storage),
            ("Cloud Run", ResourceType::Compute),
            ("Cloud SQL", ResourceType::Database),
            ("Cloud Storage", ResourceType::Storage),
            ("Networking", ResourceType::Network),
            ("Droplets", ResourceType::Compute),
            ("Managed Databases", ResourceType::Database),
            ("Load Balancers", ResourceType::LoadBalancer),
            ("Spaces Subscription", ResourceType::Storage),
            ("Reserved IPs", ResourceType::Network),
            ("NodeBalancer", ResourceType::LoadBalancer),
            ("Linode 4GB", ResourceType::Compute),
            ("Cloud Logging", ResourceType::Other),
        ];
        for (name, expected) in cases {
            assert_eq!(classify(&[name]), expected, "{name}");
        }
    }
}
