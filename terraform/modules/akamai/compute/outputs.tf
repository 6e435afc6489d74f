output "url" {
  description = "URL the site answers on through the NodeBalancer (https when a certificate is attached)"
  value       = "${local.https_enabled ? "https" : "http"}://${linode_nodebalancer.this.ipv4}"
}

output "nodebalancer_ipv4" {
  description = "Public IPv4 address of the NodeBalancer"
  value       = linode_nodebalancer.this.ipv4
}

output "nodebalancer_ipv6" {
  description = "Public IPv6 address of the NodeBalancer"
  value       = linode_nodebalancer.this.ipv6
}

output "nodebalancer_hostname" {
  description = "Hostname of the NodeBalancer"
  value       = linode_nodebalancer.this.hostname
}

output "instance_ids" {
  description = "IDs of the instances"
  value       = linode_instance.this[*].id
}

output "instance_private_ips" {
  description = "Private IPv4 addresses of the instances, used by the NodeBalancer"
  value       = linode_instance.this[*].private_ip_address
}
