terraform {
  required_version = ">= 1.6"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.10"
    }
  }
}

# Subscription and credentials come from the provisioner's environment (ARM_* variables).
provider "azurerm" {
  features {
    resource_group {
      # A site's resource group holds only what this template creates; refuse to delete
      # it if something else was put there by hand.
      prevent_deletion_if_contains_resources = true
    }
  }
}
