# A private-IP Cloud SQL PostgreSQL instance with backups and point-in-time recovery.

terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.10"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "google" {
  project = "canopy-example"
  region  = "europe-west1"
}

module "network" {
  source = "../../../network"

  name   = "example"
  region = "europe-west1"
}

module "database" {
  source = "../.."

  name       = "example-db"
  region     = "europe-west1"
  network_id = module.network.network_id

  labels = {
    environment = "example"
  }

  depends_on = [module.network]
}

output "endpoint" {
  description = "host:port of the database"
  value       = module.database.endpoint
}
