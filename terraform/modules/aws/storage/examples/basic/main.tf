# A private, versioned, encrypted bucket.

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

module "storage" {
  source = "../.."

  bucket_name = "canopy-example-assets-0192f5e4"

  tags = {
    environment = "example"
  }
}

output "bucket_name" {
  description = "Name of the bucket"
  value       = module.storage.bucket_name
}
