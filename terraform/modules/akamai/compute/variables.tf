variable "name" {
  description = "Label of the NodeBalancer and prefix of the instance labels"
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{1,28}[a-z0-9])$", var.name))
    error_message = "name must be 3-30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen"
  }
}

variable "region" {
  description = "Linode region ID, for example eu-central"
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}-[a-z]+(-[0-9])?$", var.region))
    error_message = "region must be a Linode region ID such as us-east, eu-central or ap-south"
  }
}

variable "subnet_id" {
  description = "VPC subnet each instance attaches a second interface to"
  type        = number
}

variable "firewall_id" {
  description = "Cloud Firewall every instance is created behind"
  type        = number
}

variable "instance_type" {
  description = "Linode plan, for example g6-standard-1"
  type        = string
  default     = "g6-standard-1"

  validation {
    condition     = can(regex("^g[0-9]-[a-z]+-[0-9]+$", var.instance_type))
    error_message = "instance_type must be a Linode plan ID such as g6-nanode-1, g6-standard-2 or g6-dedicated-4"
  }
}

variable "instance_count" {
  description = "Number of instances behind the NodeBalancer"
  type        = number
  default     = 2

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 20 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number from 1 to 20"
  }
}

variable "authorized_keys" {
  description = "SSH public keys installed for root; empty means no key and SSH stays unusable"
  type        = list(string)
  default     = []
}

variable "image" {
  description = "Container image reference the instances run, for example ghcr.io/acme/shop:1.4.2"
  type        = string

  validation {
    condition     = length(trimspace(var.image)) > 0 && !strcontains(var.image, " ")
    error_message = "image must be a non-empty container image reference without spaces"
  }
}

variable "container_port" {
  description = "TCP port the container listens on (published on the instance at the same port)"
  type        = number

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be a whole number from 1 to 65535"
  }
}

variable "environment" {
  description = "Environment variables for the container, written to a root-only env file on each instance"
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "health_check_path" {
  description = "HTTP path the NodeBalancer probes"
  type        = string
  default     = "/"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with a slash, for example /healthz"
  }
}

variable "tls_certificate" {
  description = "PEM certificate chain for an HTTPS NodeBalancer port; with tls_private_key it turns on HTTPS and redirects HTTP to it. Null serves HTTP only"
  type        = string
  default     = null
}

variable "tls_private_key" {
  description = "PEM private key matching tls_certificate"
  type        = string
  default     = null
  sensitive   = true
}

variable "tags" {
  description = "Tags as key => value, added to every taggable resource as \"key:value\" tags (the canopy cost keys are shortened to fit Linode's 50-character limit)"
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for key, value in var.tags : length("${lookup({ canopy_site_id = "site", canopy_customer_id = "customer" }, key, key)}:${value}") >= 3
      && length("${lookup({ canopy_site_id = "site", canopy_customer_id = "customer" }, key, key)}:${value}") <= 50
    ])
    error_message = "each tag must render as key:value of 3 to 50 characters (canopy_site_id renders as site:, canopy_customer_id as customer:)"
  }
}
