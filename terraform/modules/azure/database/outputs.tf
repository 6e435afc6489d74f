output "fqdn" {
  description = "Private DNS name of the server, resolvable inside the linked virtual network"
  value       = azurerm_postgresql_flexible_server.this.fqdn
}

output "endpoint" {
  description = "host:port applications connect to (TLS 1.2 or newer is required)"
  value       = "${azurerm_postgresql_flexible_server.this.fqdn}:5432"
}

output "database_name" {
  description = "Name of the application database"
  value       = azurerm_postgresql_flexible_server_database.this.name
}

output "administrator_login" {
  description = "Administrator user name"
  value       = azurerm_postgresql_flexible_server.this.administrator_login
}

output "administrator_password" {
  description = "Generated administrator password"
  value       = random_password.administrator.result
  sensitive   = true
}

output "server_id" {
  description = "Resource ID of the server"
  value       = azurerm_postgresql_flexible_server.this.id
}
