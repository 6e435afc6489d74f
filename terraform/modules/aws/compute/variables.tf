variable "name" {
  description = "Name of the ECS cluster, service, load balancer and their supporting resources"
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$", var.name))
    error_message = "name must be 1-24 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen (load balancer names are capped at 32 characters)"
  }
}

variable "vpc_id" {
  description = "VPC the load balancer target group belongs to"
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets for the load balancer, at least two in different availability zones"
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "public_subnet_ids must list at least two subnets in different availability zones"
  }
}

variable "private_subnet_ids" {
  description = "Private subnets the Fargate tasks run in; tasks never get public IPs"
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "private_subnet_ids must list at least one subnet"
  }
}

variable "load_balancer_security_group_id" {
  description = "Security group attached to the load balancer (from the network module)"
  type        = string
}

variable "app_security_group_id" {
  description = "Security group attached to the tasks (from the network module)"
  type        = string
}

variable "image" {
  description = "Container image reference, for example ghcr.io/acme/shop:1.4.2"
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
  description = "Plain environment variables for the container"
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables filled from Secrets Manager or SSM Parameter Store, as name => secret or parameter ARN; the execution role may read exactly these"
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for arn in values(var.secrets) : can(regex("^arn:aws[a-z-]*:(secretsmanager|ssm):", arn))])
    error_message = "secrets values must be Secrets Manager or SSM Parameter Store ARNs"
  }
}

variable "cpu" {
  description = "Fargate task CPU units"
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be one of the Fargate sizes: 256, 512, 1024, 2048, 4096, 8192 or 16384"
  }
}

variable "memory" {
  description = "Fargate task memory in MiB; must be a valid pairing with cpu"
  type        = number
  default     = 512

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880 && var.memory % 512 == 0
    error_message = "memory must be a multiple of 512 MiB from 512 to 122880 that Fargate accepts for the chosen cpu"
  }
}

variable "min_capacity" {
  description = "Fewest running tasks; autoscaling never goes below this"
  type        = number
  default     = 1

  validation {
    condition     = var.min_capacity >= 1 && floor(var.min_capacity) == var.min_capacity
    error_message = "min_capacity must be a whole number of at least 1"
  }
}

variable "max_capacity" {
  description = "Most running tasks; autoscaling never goes above this"
  type        = number
  default     = 2

  validation {
    condition     = var.max_capacity >= 1 && var.max_capacity <= 100 && floor(var.max_capacity) == var.max_capacity
    error_message = "max_capacity must be a whole number from 1 to 100"
  }
}

variable "cpu_target_percent" {
  description = "Average service CPU utilisation the autoscaling policy keeps tasks at"
  type        = number
  default     = 60

  validation {
    condition     = var.cpu_target_percent >= 10 && var.cpu_target_percent <= 90
    error_message = "cpu_target_percent must be from 10 to 90"
  }
}

variable "health_check_path" {
  description = "HTTP path the load balancer probes; a 200-399 answer marks a task healthy"
  type        = string
  default     = "/"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with a slash, for example /healthz"
  }
}

variable "certificate_arn" {
  description = "ACM certificate for an HTTPS listener; when set, plain HTTP is redirected to HTTPS. Null serves HTTP only"
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be null or an ACM certificate ARN"
  }
}

variable "log_retention_days" {
  description = "Days to keep container logs in CloudWatch Logs"
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653"
  }
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion; turn off for environments that are destroyed by automation"
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every taggable resource"
  type        = map(string)
  default     = {}
}
