# A VPC and a droplet firewall that admits the app port from the VPC only.

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
  source = "../.."

  name     = "example"
  region   = "ams3"
  app_port = 8080
}

output "app_tag" {
  description = "Tag droplets carry to get the firewall"
  value       = module.network.app_tag
}
