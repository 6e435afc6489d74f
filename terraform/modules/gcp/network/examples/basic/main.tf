# A custom-mode VPC with Cloud NAT, private services access and least-privilege firewall rules.

terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.10"
    }
  }
}

provider "google" {
  project = "canopy-example"
  region  = "europe-west1"
}

module "network" {
  source = "../.."

  name   = "example"
  region = "europe-west1"

  labels = {
    environment = "example"
  }
}

output "network_id" {
  description = "ID of the VPC network"
  value       = module.network.network_id
}
