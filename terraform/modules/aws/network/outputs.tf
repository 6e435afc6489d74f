output "vpc_id" {
  description = "ID of the VPC"
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC"
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, one per availability zone, for load balancers"
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per availability zone, for app tasks and databases"
  value       = aws_subnet.private[*].id
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways: the addresses outbound traffic from private subnets comes from"
  value       = aws_eip.nat[*].public_ip
}

output "load_balancer_security_group_id" {
  description = "Security group for the public load balancer"
  value       = aws_security_group.load_balancer.id
}

output "app_security_group_id" {
  description = "Security group for application tasks"
  value       = aws_security_group.app.id
}

output "database_security_group_id" {
  description = "Security group for the database"
  value       = aws_security_group.database.id
}
