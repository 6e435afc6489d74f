# Two droplets running a container behind a load balancer, inside the network module's VPC.

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

  name     = "example"
  region   = "ams3"
  app_port = 80
}

module "compute" {
  source = "../.."

  name          = "example"
  region        = "ams3"
  vpc_id        = module.network.vpc_id
  firewall_tag  = module.network.app_tag
  droplet_count = 2

  image          = "nginx:1.27"
  container_port = 80

  tags = {
    environment = "example"
  }
}

output "url" {
  description = "Where the example answers"
  value       = module.compute.url
}
