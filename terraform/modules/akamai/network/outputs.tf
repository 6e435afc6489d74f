output "vpc_id" {
  description = "ID of the VPC"
  value       = linode_vpc.this.id
}

output "subnet_id" {
  description = "ID of the VPC subnet instances attach to"
  value       = linode_vpc_subnet.this.id
}

output "firewall_id" {
  description = "ID of the Cloud Firewall instances are created behind"
  value       = linode_firewall.this.id
}
