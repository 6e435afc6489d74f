output "url" {
  description = "HTTPS URL of the web app (App Service terminates TLS on its default hostname)"
  value       = "https://${azurerm_linux_web_app.this.default_hostname}"
}

output "default_hostname" {
  description = "Default hostname of the web app"
  value       = azurerm_linux_web_app.this.default_hostname
}

output "outbound_ip_addresses" {
  description = "Addresses outbound traffic from the app may come from"
  value       = azurerm_linux_web_app.this.outbound_ip_address_list
}

output "principal_id" {
  description = "Object ID of the app's system-assigned managed identity; grant it access to storage and other resources"
  value       = azurerm_linux_web_app.this.identity[0].principal_id
}

output "web_app_id" {
  description = "Resource ID of the web app"
  value       = azurerm_linux_web_app.this.id
}

output "service_plan_id" {
  description = "Resource ID of the App Service plan"
  value       = azurerm_service_plan.this.id
}
