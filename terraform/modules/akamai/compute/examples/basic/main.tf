# Two Linodes running a container behind a NodeBalancer, behind the network module's firewall.

terraform {
  required_version = ">= 1.6"

  required_providers {
    linode = {
      source  = "linode/linode"
      version = "~> 2.31"
    }
  }
}

provider "linode" {}

module "network" {
  source = "../../../network"

  name     = "example"
  region   = "eu-central"
  app_port = 80
}

module "compute" {
  source = "../.."

  name           = "example"
  region         = "eu-central"
  subnet_id      = module.network.subnet_id
  firewall_id    = module.network.firewall_id
  instance_count = 2

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
