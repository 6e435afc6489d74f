# A single-AZ PostgreSQL instance reachable only from the network module's app tier.

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
  source = "../../../network"

  name = "example"
}

module "database" {
  source = "../.."

  name               = "example"
  subnet_ids         = module.network.private_subnet_ids
  security_group_ids = [module.network.database_security_group_id]
  instance_class     = "db.t4g.micro"

  tags = {
    environment = "example"
  }
}

output "endpoint" {
  description = "host:port of the database"
  value       = module.database.endpoint
}
