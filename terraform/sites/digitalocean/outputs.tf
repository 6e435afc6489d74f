# The outputs below are the contract with the provisioner and are identical in every
# site template (terraform/sites/contract.json lists them).

output "url" {
  description = "URL the site answers on"
  value       = module.compute.url
}

output "public_addresses" {
  description = "Public addresses the site answers on: IPs, or hostnames where the cloud gives the load balancer no fixed IP"
  value       = [module.compute.load_balancer_ip]
}

output "database_endpoint" {
  description = "host:port of the site's database, or null when the site has none"
  value       = var.database_enabled ? module.database[0].endpoint : null
}

output "storage_bucket" {
  description = "Name of the site's object storage bucket, or null when the site has none"
  value       = var.storage_enabled ? module.storage[0].bucket_name : null
}
