variable "name" {
  description = "Label of the VPC and firewall"
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{1,30}[a-z0-9])$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen"
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

variable "subnet_cidr" {
  description = "Private IPv4 range of the VPC subnet instances attach to"
  type        = string
  default     = "10.40.0.0/24"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0)) && !startswith(var.subnet_cidr, "192.168.")
    error_message = "subnet_cidr must be a valid private IPv4 CIDR block outside 192.168.0.0/16 (which Linode reserves for private IPs)"
  }
}

variable "app_port" {
  description = "TCP port the application listens on; only NodeBalancers may reach it"
  type        = number
  default     = 8080

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be a whole number from 1 to 65535"
  }
}

variable "ssh_source_addresses" {
  description = "IPv4 CIDR blocks allowed to SSH into the instances; empty (the default) closes SSH entirely"
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for cidr in var.ssh_source_addresses : can(cidrhost(cidr, 0)) && cidr != "0.0.0.0/0"])
    error_message = "ssh_source_addresses must be valid IPv4 CIDR blocks and may not open SSH to the whole internet"
  }
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
