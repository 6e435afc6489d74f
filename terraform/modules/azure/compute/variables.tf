variable "name" {
  description = "Name of the web app (also its default hostname prefix) and of its service plan"
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,58}[a-z0-9])?$", var.name))
    error_message = "name must be 1-60 lowercase letters, digits or hyphens, not starting or ending with a hyphen"
  }
}

variable "resource_group_name" {
  description = "Resource group that holds the service plan, web app and autoscale setting"
  type        = string
}

variable "location" {
  description = "Azure region, for example westeurope"
  type        = string
}

variable "sku_name" {
  description = "App Service plan SKU; Standard or Premium tiers, because autoscale and VNet integration need them"
  type        = string
  default     = "P0v3"

  validation {
    condition     = contains(["S1", "S2", "S3", "P0v3", "P1v3", "P2v3", "P3v3", "P1mv3", "P2mv3"], var.sku_name)
    error_message = "sku_name must be one of S1, S2, S3, P0v3, P1v3, P2v3, P3v3, P1mv3 or P2mv3"
  }
}

variable "subnet_id" {
  description = "Subnet delegated to Microsoft.Web/serverFarms for regional VNet integration; all outbound traffic is routed through it"
  type        = string
}

variable "image" {
  description = "Container image reference, for example ghcr.io/acme/shop:1.4.2; images without a registry host come from Docker Hub"
  type        = string

  validation {
    condition     = length(trimspace(var.image)) > 0 && !strcontains(var.image, " ")
    error_message = "image must be a non-empty container image reference without spaces"
  }
}

variable "container_port" {
  description = "TCP port the container listens on"
  type        = number

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be a whole number from 1 to 65535"
  }
}

variable "environment" {
  description = "Environment variables (app settings) for the container"
  type        = map(string)
  default     = {}
}

variable "min_instances" {
  description = "Fewest running instances; autoscale never goes below this"
  type        = number
  default     = 1

  validation {
    condition     = var.min_instances >= 1 && var.min_instances <= 30 && floor(var.min_instances) == var.min_instances
    error_message = "min_instances must be a whole number from 1 to 30"
  }
}

variable "max_instances" {
  description = "Most running instances; autoscale never goes above this"
  type        = number
  default     = 3

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 30 && floor(var.max_instances) == var.max_instances
    error_message = "max_instances must be a whole number from 1 to 30"
  }
}

variable "health_check_path" {
  description = "HTTP path App Service probes; instances that keep failing are replaced"
  type        = string
  default     = "/"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with a slash, for example /healthz"
  }
}

variable "tags" {
  description = "Tags added to every taggable resource"
  type        = map(string)
  default     = {}
}
