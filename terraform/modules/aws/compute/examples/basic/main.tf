# An nginx container on Fargate behind a public ALB, in a VPC from the network module.

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

  name     = "example"
  app_port = 80
}

module "compute" {
  source = "../.."

  name                            = "example"
  vpc_id                          = module.network.vpc_id
  public_subnet_ids               = module.network.public_subnet_ids
  private_subnet_ids              = module.network.private_subnet_ids
  load_balancer_security_group_id = module.network.load_balancer_security_group_id
  app_security_group_id           = module.network.app_security_group_id

  image          = "public.ecr.aws/nginx/nginx:1.27"
  container_port = 80
  min_capacity   = 1
  max_capacity   = 3

  tags = {
    environment = "example"
  }
}

output "url" {
  description = "Where the example answers"
  value       = module.compute.url
}
