output "network_id" {
  description = "ID of the VPC network"
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "Name of the VPC network"
  value       = google_compute_network.this.name
}

output "subnet_id" {
  description = "ID of the regional subnet"
  value       = google_compute_subnetwork.this.id
}

output "subnet_name" {
  description = "Name of the regional subnet"
  value       = google_compute_subnetwork.this.name
}

output "app_network_tag" {
  description = "Network tag the app must carry on its VPC egress for the firewall rules to apply"
  value       = local.app_network_tag
}

output "private_services_connection_id" {
  description = "ID of the private services connection; Cloud SQL instances with private IPs must be created after it"
  value       = google_service_networking_connection.this.id
}
