output "private_ip" {
  description = "Private IP address of the instance"
  value       = google_sql_database_instance.this.private_ip_address
}

output "endpoint" {
  description = "host:port applications connect to (TLS is required)"
  value       = "${google_sql_database_instance.this.private_ip_address}:5432"
}

output "connection_name" {
  description = "project:region:instance name, for the Cloud SQL connectors"
  value       = google_sql_database_instance.this.connection_name
}

output "database_name" {
  description = "Name of the application database"
  value       = google_sql_database.this.name
}

output "username" {
  description = "User the application connects as"
  value       = google_sql_user.this.name
}

output "password" {
  description = "Generated password of the application user"
  value       = random_password.this.result
  sensitive   = true
}
