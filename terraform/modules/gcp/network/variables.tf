variable "name" {
  description = "Name prefix for the VPC network, subnet, router, NAT and firewall rules"
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,40}[a-z0-9])?$", var.name))
    error_message = "name must be 1-42 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen"
  }
}

variable "project_id" {
  description = "Google Cloud project that owns the resources; null uses the provider's project"
  type        = string
  default     = null

  validation {
    condition     = var.project_id == null || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be null or 6-30 lowercase letters, digits or hyphens, starting with a letter"
  }
}

variable "region" {
  description = "Region of the subnet, router and NAT, for example europe-west1"
  type        = string
}

variable "subnet_cidr" {
  description = "Primary IPv4 range of the subnet the app's egress uses"
  type        = string
  default     = "10.20.0.0/24"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0))
    error_message = "subnet_cidr must be a valid IPv4 CIDR block, for example 10.20.0.0/24"
  }
}

variable "private_services_prefix_length" {
  description = "Prefix length of the range reserved for private services access (Cloud SQL private IPs)"
  type        = number
  default     = 20

  validation {
    condition     = var.private_services_prefix_length >= 16 && var.private_services_prefix_length <= 24
    error_message = "private_services_prefix_length must be from 16 to 24"
  }
}

variable "labels" {
  description = "Labels added to every labelable resource"
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for key, value in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", key)) && can(regex("^[a-z0-9_-]{0,63}$", value))])
    error_message = "labels keys must be 1-63 lowercase letters, digits, underscores or hyphens starting with a letter; values up to 63 of the same characters"
  }
}
