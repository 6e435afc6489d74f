# The outputs below are the contract with the provisioner and are identical in every
# site template (terraform/sites/contract.json lists them).

output "url" {
  description = "URL the site answers on"
  value       = module.compute.url
}

output "public_addresses" {
  description = "Public addresses the site answers on: IPs, or hostnames where the cloud gives the load balancer no fixed IP"
  value       = compact([module.compute.nodebalancer_ipv4, module.compute.nodebalancer_ipv6])
}

# Akamai sites have no database or bucket yet (the inputs refuse them); the outputs stay
# so every template answers the same contract.
output "database_endpoint" {
  description = "host:port of the site's database, or null when the site has none"
  value       = null
}

output "storage_bucket" {
  description = "Name of the site's object storage bucket, or null when the site has none"
  value       = null
}
