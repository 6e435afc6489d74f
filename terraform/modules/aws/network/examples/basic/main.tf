# A two-AZ VPC with one NAT gateway and the three-tier security groups.

terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.70"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "network" {
  source = "../.."

  name       = "example"
  cidr_block = "10.0.0.0/16"
  az_count   = 2
  app_port   = 8080

  tags = {
    environment = "example"
  }
}

output "private_subnet_ids" {
  description = "Private subnets for app tasks and databases"
  value       = module.network.private_subnet_ids
}
