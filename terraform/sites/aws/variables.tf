# The inputs below are the contract with the provisioner and are identical in every
# site template (terraform/sites/contract.json lists them); only the region list differs.

variable "site_id" {
  description = "Canopy site ID (UUID); names cloud resources uniquely and is the canopy_site_id cost tag"
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.site_id))
    error_message = "site_id must be a lowercase UUID such as 0192f5e4-7b1c-7cc3-9a51-3f7d2c8e4b10"
  }
}

variable "customer_id" {
  description = "Canopy customer (tenant) ID (UUID); the canopy_customer_id cost tag"
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.customer_id))
    error_message = "customer_id must be a lowercase UUID such as 0192f5e4-7b1c-7cc3-9a51-3f7d2c8e4b10"
  }
}

variable "name" {
  description = "Site name as a DNS label; prefixes cloud resource names"
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.name))
    error_message = "name must be a DNS label: 1-63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen"
  }
}

variable "region" {
  description = "AWS region the site runs in"
  type        = string

  validation {
    condition     = contains(["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1"], var.region)
    error_message = "region must be one of us-east-1, us-west-2, eu-west-1, eu-central-1, ap-southeast-1 or ap-northeast-1"
  }
}

variable "size" {
  description = "Site size; each template maps it to instance types, counts and database tiers"
  type        = string

  validation {
    condition     = contains(["small", "medium", "large"], var.size)
    error_message = "size must be one of small, medium or large"
  }
}

variable "database_enabled" {
  description = "Create a managed PostgreSQL database for the site"
  type        = bool
  default     = false
}

variable "storage_enabled" {
  description = "Create an object storage bucket for the site"
  type        = bool
  default     = false
}

variable "runtime" {
  description = "What the site runs: a container image, the port it listens on and its environment variables"
  type = object({
    image = string
    port  = number
    env   = optional(map(string), {})
  })

  validation {
    condition     = var.runtime.port >= 1 && var.runtime.port <= 65535 && floor(var.runtime.port) == var.runtime.port
    error_message = "runtime.port must be a whole number from 1 to 65535"
  }

  validation {
    condition     = length(trimspace(var.runtime.image)) > 0 && !strcontains(var.runtime.image, " ")
    error_message = "runtime.image must be a non-empty container image reference without spaces, for example ghcr.io/acme/shop:1.4.2"
  }
}

variable "tags" {
  description = "Extra tags (labels on Google Cloud) for every taggable resource; the canopy_* cost tags are always added and win on conflict"
  type        = map(string)
  default     = {}
}
