output "url" {
  description = "URL the site answers on through the load balancer (https when a certificate is attached)"
  value       = "${local.https_enabled ? "https" : "http"}://${digitalocean_loadbalancer.this.ip}"
}

output "load_balancer_ip" {
  description = "Public IPv4 address of the load balancer"
  value       = digitalocean_loadbalancer.this.ip
}

output "load_balancer_id" {
  description = "ID of the load balancer"
  value       = digitalocean_loadbalancer.this.id
}

output "droplet_ids" {
  description = "IDs of the droplets"
  value       = digitalocean_droplet.this[*].id
}

output "droplet_private_ips" {
  description = "Private (VPC) IPv4 addresses of the droplets"
  value       = digitalocean_droplet.this[*].ipv4_address_private
}
