variable "name" {
  description = "Name prefix for every network resource; also the Name tag"
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$", var.name))
    error_message = "name must be 1-32 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen"
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR block of the VPC; public and private subnets are carved from it as /20s"
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && try(tonumber(split("/", var.cidr_block)[1]) <= 16, false)
    error_message = "cidr_block must be a valid IPv4 CIDR block of size /16 or larger, for example 10.0.0.0/16"
  }
}

variable "az_count" {
  description = "Number of availability zones to spread the public and private subnets across"
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 2 to 4"
  }
}

variable "enable_nat_gateway" {
  description = "Give private subnets outbound internet access through NAT gateways (needed to pull images and call external APIs)"
  type        = bool
  default     = true
}

variable "single_nat_gateway" {
  description = "Use one NAT gateway for all private subnets (cheaper) instead of one per availability zone (survives an AZ outage)"
  type        = bool
  default     = true
}

variable "app_port" {
  description = "TCP port the application listens on; the only port the load balancer may reach on the app security group"
  type        = number
  default     = 8080

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be a whole number from 1 to 65535"
  }
}

variable "flow_logs_retention_days" {
  description = "Days to keep VPC flow logs in CloudWatch Logs; 0 turns flow logs off"
  type        = number
  default     = 30

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs_retention_days)
    error_message = "flow_logs_retention_days must be 0 (off) or a CloudWatch Logs retention value: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653"
  }
}

variable "tags" {
  description = "Tags added to every taggable resource, merged under the module's own Name tags"
  type        = map(string)
  default     = {}
}
