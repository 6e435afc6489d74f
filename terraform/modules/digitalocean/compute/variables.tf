variable "name" {
  description = "Name of the load balancer and prefix of the droplet names"
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,50}[a-z0-9])?$", var.name))
    error_message = "name must be 1-52 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen"
  }
}

variable "region" {
  description = "DigitalOcean region slug, for example ams3"
  type        = string

  validation {
    condition     = can(regex("^[a-z]{3}[0-9]$", var.region))
    error_message = "region must be a DigitalOcean region slug such as nyc3, ams3 or fra1"
  }
}

variable "vpc_id" {
  description = "VPC the droplets and load balancer join"
  type        = string
}

variable "firewall_tag" {
  description = "Droplet tag the network module's firewall applies to; every droplet carries it"
  type        = string
}

variable "droplet_size" {
  description = "Droplet size slug, for example s-1vcpu-1gb"
  type        = string
  default     = "s-1vcpu-1gb"

  validation {
    condition     = can(regex("^[a-z0-9]+(-[a-z0-9]+)+$", var.droplet_size))
    error_message = "droplet_size must be a droplet size slug such as s-1vcpu-1gb or s-2vcpu-4gb"
  }
}

variable "droplet_count" {
  description = "Number of droplets behind the load balancer"
  type        = number
  default     = 2

  validation {
    condition     = var.droplet_count >= 1 && var.droplet_count <= 20 && floor(var.droplet_count) == var.droplet_count
    error_message = "droplet_count must be a whole number from 1 to 20"
  }
}

variable "ssh_key_fingerprints" {
  description = "SSH keys (fingerprints or IDs) installed for root; empty means no key and SSH stays unusable"
  type        = list(string)
  default     = []
}

variable "image" {
  description = "Container image reference the droplets run, for example ghcr.io/acme/shop:1.4.2"
  type        = string

  validation {
    condition     = length(trimspace(var.image)) > 0 && !strcontains(var.image, " ")
    error_message = "image must be a non-empty container image reference without spaces"
  }
}

variable "container_port" {
  description = "TCP port the container listens on (published on the droplet at the same port)"
  type        = number

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be a whole number from 1 to 65535"
  }
}

variable "environment" {
  description = "Environment variables for the container, written to a root-only env file on each droplet"
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "health_check_path" {
  description = "HTTP path the load balancer probes"
  type        = string
  default     = "/"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with a slash, for example /healthz"
  }
}

variable "certificate_name" {
  description = "Name of a DigitalOcean certificate for an HTTPS forwarding rule; when set, HTTP is redirected to HTTPS. Null serves HTTP only"
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags as key => value, added to every taggable resource as \"key:value\" tags"
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for key, value in var.tags : can(regex("^[A-Za-z0-9:_.-]{1,255}$", "${key}:${value}"))])
    error_message = "tags must render as key:value strings of letters, digits, colons, dashes, dots and underscores, at most 255 characters"
  }
}
