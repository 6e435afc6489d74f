variable "name" {
  description = "Name prefix for the virtual network, subnets, security groups and NAT gateway"
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,50}[a-z0-9])?$", var.name))
    error_message = "name must be 1-52 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen"
  }
}

variable "resource_group_name" {
  description = "Resource group that holds the network resources"
  type        = string
}

variable "location" {
  description = "Azure region, for example westeurope"
  type        = string
}

variable "address_space" {
  description = "IPv4 address space of the virtual network; the app and database subnets are carved from it as /24s"
  type        = string
  default     = "10.10.0.0/16"

  validation {
    condition     = can(cidrhost(var.address_space, 0)) && try(tonumber(split("/", var.address_space)[1]) <= 22, false)
    error_message = "address_space must be a valid IPv4 CIDR block of size /22 or larger, for example 10.10.0.0/16"
  }
}

variable "nat_idle_timeout_minutes" {
  description = "Idle timeout of outbound NAT connections"
  type        = number
  default     = 4

  validation {
    condition     = var.nat_idle_timeout_minutes >= 4 && var.nat_idle_timeout_minutes <= 120
    error_message = "nat_idle_timeout_minutes must be from 4 to 120"
  }
}

variable "tags" {
  description = "Tags added to every taggable resource"
  type        = map(string)
  default     = {}
}
