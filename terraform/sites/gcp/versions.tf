terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.10"
    }
  }
}

# Project and credentials come from the provisioner's environment (GOOGLE_PROJECT and
# GOOGLE_APPLICATION_CREDENTIALS or workload identity).
provider "google" {
  region = var.region
}
