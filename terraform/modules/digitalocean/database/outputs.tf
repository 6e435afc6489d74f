output "private_host" {
  description = "Private (VPC) hostname of the primary node"
  value       = digitalocean_database_cluster.this.private_host
}

output "endpoint" {
  description = "Private host:port applications connect to (TLS is required)"
  value       = "${digitalocean_database_cluster.this.private_host}:${digitalocean_database_cluster.this.port}"
}

output "port" {
  description = "Port PostgreSQL listens on"
  value       = digitalocean_database_cluster.this.port
}

output "database_name" {
  description = "Name of the application database"
  value       = digitalocean_database_db.this.name
}

output "username" {
  description = "Application user"
  value       = digitalocean_database_user.this.name
}

output "password" {
  description = "Generated password of the application user"
  value       = digitalocean_database_user.this.password
  sensitive   = true
}

output "cluster_id" {
  description = "ID of the database cluster"
  value       = digitalocean_database_cluster.this.id
}
