# A VPC subnet and a Cloud Firewall that drops everything but the app port from NodeBalancers.

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
  source = "../.."

  name     = "example"
  region   = "eu-central"
  app_port = 8080

  tags = {
    environment = "example"
  }
}

output "firewall_id" {
  description = "Firewall to create instances behind"
  value       = module.network.firewall_id
}
