# A private PostgreSQL Flexible Server in the network module's delegated subnet.

terraform {
  required_version = ">= 1.6"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.10"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
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

module "database" {
  source = "../.."

  name                = "canopy-example-0192f5e4"
  resource_group_name = azurerm_resource_group.example.name
  location            = azurerm_resource_group.example.location
  virtual_network_id  = module.network.virtual_network_id
  delegated_subnet_id = module.network.database_subnet_id

  tags = {
    environment = "example"
  }
}

output "endpoint" {
  description = "host:port of the database"
  value       = module.database.endpoint
}
