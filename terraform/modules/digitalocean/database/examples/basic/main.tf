# A managed PostgreSQL cluster that only the network module's app droplets may reach.

terraform {
  required_version = ">= 1.6"

  required_providers {
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "~> 2.44"
    }
  }
}

provider "digitalocean" {}

module "network" {
  source = "../../../network"

  name   = "example"
  region = "ams3"
}

module "database" {
  source = "../.."

  name                = "example-db"
  region              = "ams3"
  vpc_id              = module.network.vpc_id
  trusted_droplet_tag = module.network.app_tag

  tags = {
    environment = "example"
  }
}

output "endpoint" {
  description = "Private host:port of the database"
  value       = module.database.endpoint
}
