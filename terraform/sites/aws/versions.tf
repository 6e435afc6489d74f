terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.70"
    }
  }
}

# Credentials come from the provisioner's environment (AWS_* variables or an assumed
# role); the template only decides where the site runs.
provider "aws" {
  region = var.region
}
