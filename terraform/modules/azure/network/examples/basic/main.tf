# A virtual network with app and database subnets, NSGs and a NAT gateway.

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
  source = "../.."

  name                = "example"
  resource_group_name = azurerm_resource_group.example.name
  location            = azurerm_resource_group.example.location

  tags = {
    environment = "example"
  }
}

output "app_subnet_id" {
  description = "Subnet for App Service VNet integration"
  value       = module.network.app_subnet_id
}
