# A container on App Service with CPU autoscaling, integrated into the network module's VNet.

terraform {
  required_version = ">= 1.6"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.10"
    }
  }
}

provider "azurerm" {
  features {}
}

resource "azurerm_resource_group" "example" {
  name     = "canopy-example"
  location = "westeurope"
}

module "network" {
  source = "../../../network"

  name                = "example"
  resource_group_name = azurerm_resource_group.example.name
  location            = azurerm_resource_group.example.location
}

module "compute" {
  source = "../.."

  name                = "canopy-example-0192f5e4"
  resource_group_name = azurerm_resource_group.example.name
  location            = azurerm_resource_group.example.location
  subnet_id           = module.network.app_subnet_id

  image          = "nginx:1.27"
  container_port = 80
  min_instances  = 1
  max_instances  = 3

  tags = {
    environment = "example"
  }
}

output "url" {
  description = "Where the example answers"
  value       = module.compute.url
}
