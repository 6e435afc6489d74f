# A private bucket with uniform access and public access prevention.

terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.10"
    }
  }
}

provider "google" {
  project = "canopy-example"
  region  = "europe-west1"
}

module "storage" {
  source = "../.."

  bucket_name = "canopy-example-assets-0192f5e4"
  location    = "EUROPE-WEST1"

  labels = {
    environment = "example"
  }
}

output "bucket_url" {
  description = "gs:// URL of the bucket"
  value       = module.storage.bucket_url
}
