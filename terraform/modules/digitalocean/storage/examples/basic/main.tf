# A private, versioned Spaces bucket. The provider reads Spaces keys from
# SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY.

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

module "storage" {
  source = "../.."

  bucket_name = "canopy-example-assets-0192f5e4"
  region      = "ams3"
}

output "bucket_domain_name" {
  description = "Domain name of the bucket"
  value       = module.storage.bucket_domain_name
}
