terraform {
  required_version = ">= 1.6"

  required_providers {
    linode = {
      source  = "linode/linode"
      version = "~> 2.31"
    }
  }
}

# The API token comes from the provisioner's environment (LINODE_TOKEN).
provider "linode" {}
