variable "name" {
  description = "Name of the VPC and firewall, and prefix of the droplet tag the firewall applies to"
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

variable "ip_range" {
  description = "Private IPv4 range of the VPC"
  type        = string
  default     = "10.30.0.0/20"

  validation {
    condition     = can(cidrhost(var.ip_range, 0)) && try(tonumber(split("/", var.ip_range)[1]) >= 16 && tonumber(split("/", var.ip_range)[1]) <= 24, false)
    error_message = "ip_range must be a valid private IPv4 CIDR block from /16 to /24, for example 10.30.0.0/20"
  }
}

variable "app_port" {
  description = "TCP port the application listens on; only the load balancer (inside the VPC) may reach it"
  type        = number
  default     = 8080

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be a whole number from 1 to 65535"
  }
}

variable "ssh_source_addresses" {
  description = "CIDR blocks allowed to SSH into the droplets; empty (the default) closes SSH entirely"
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for cidr in var.ssh_source_addresses : can(cidrhost(cidr, 0)) && cidr != "0.0.0.0/0" && cidr != "::/0"])
    error_message = "ssh_source_addresses must be valid CIDR blocks and may not open SSH to the whole internet"
  }
}
