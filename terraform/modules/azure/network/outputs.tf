output "virtual_network_id" {
  description = "ID of the virtual network"
  value       = azurerm_virtual_network.this.id
}

output "virtual_network_name" {
  description = "Name of the virtual network"
  value       = azurerm_virtual_network.this.name
}

output "app_subnet_id" {
  description = "ID of the subnet delegated to App Service VNet integration"
  value       = azurerm_subnet.app.id
}

output "database_subnet_id" {
  description = "ID of the subnet delegated to PostgreSQL Flexible Server"
  value       = azurerm_subnet.database.id
}

output "nat_public_ip" {
  description = "Public IP outbound traffic from the app comes from"
  value       = azurerm_public_ip.nat.ip_address
}
