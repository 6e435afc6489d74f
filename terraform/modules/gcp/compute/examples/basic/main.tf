# A public Cloud Run service whose private egress goes through the network module's VPC.

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

module "network" {
  source = "../../../network"

  name   = "example"
  region = "europe-west1"
}

module "compute" {
  source = "../.."

  name         = "example-web"
  region       = "europe-west1"
  network_id   = module.network.network_id
  subnet_id    = module.network.subnet_id
  network_tags = [module.network.app_network_tag]

  image          = "us-docker.pkg.dev/cloudrun/container/hello"
  container_port = 8080

  labels = {
    environment = "example"
  }
}

output "url" {
  description = "Where the example answers"
  value       = module.compute.url
}
