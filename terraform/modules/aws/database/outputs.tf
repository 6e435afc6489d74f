output "endpoint" {
  description = "host:port applications connect to (TLS is required)"
  value       = "${aws_db_instance.this.address}:${aws_db_instance.this.port}"
}

output "address" {
  description = "DNS name of the primary instance"
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port PostgreSQL listens on"
  value       = aws_db_instance.this.port
}

output "database_name" {
  description = "Name of the application database"
  value       = aws_db_instance.this.db_name
}

output "username" {
  description = "Master user name"
  value       = aws_db_instance.this.username
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret holding the master credentials as JSON (username, password), rotated by RDS"
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "instance_arn" {
  description = "ARN of the primary instance"
  value       = aws_db_instance.this.arn
}

output "replica_endpoint" {
  description = "host:port of the read replica, or null when none was created"
  value       = var.create_read_replica ? "${aws_db_instance.replica[0].address}:${aws_db_instance.replica[0].port}" : null
}
