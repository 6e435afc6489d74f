output "vpc_id" {
  description = "UUID of the VPC"
  value       = digitalocean_vpc.this.id
}

output "vpc_ip_range" {
  description = "Private IPv4 range of the VPC"
  value       = digitalocean_vpc.this.ip_range
}

output "app_tag" {
  description = "Droplet tag the firewall applies to; app droplets must carry it"
  value       = digitalocean_tag.app.name
}

output "firewall_id" {
  description = "ID of the droplet firewall"
  value       = digitalocean_firewall.this.id
}
