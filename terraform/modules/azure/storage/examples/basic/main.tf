# A storage account and private container, closed to every network but Azure services.

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

module "storage" {
  source = "../.."

  account_name        = "cnpexample0192f5e4"
  resource_group_name = azurerm_resource_group.example.name
  location            = azurerm_resource_group.example.location

  tags = {
    environment = "example"
  }
}

output "primary_blob_endpoint" {
  description = "Blob endpoint of the account"
  value       = module.storage.primary_blob_endpoint
}
