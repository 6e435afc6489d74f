variable "name" {
  description = "Name of the Cloud Run service and its service account"
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{4,26}[a-z0-9])$", var.name))
    error_message = "name must be 6-28 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen (service account IDs are capped at 30 characters)"
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
  description = "Region the service runs in, for example europe-west1"
  type        = string
}

variable "network_id" {
  description = "VPC network the service's private egress (for example to Cloud SQL) goes through"
  type        = string
}

variable "subnet_id" {
  description = "Subnet Direct VPC egress takes addresses from"
  type        = string
}

variable "network_tags" {
  description = "Network tags applied to the service's VPC egress, so firewall rules can target it"
  type        = list(string)
  default     = []
}

variable "image" {
  description = "Container image reference (Artifact Registry, Container Registry or Docker Hub)"
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

variable "cpu" {
  description = "CPU limit per instance, as Cloud Run writes it"
  type        = string
  default     = "1"

  validation {
    condition     = contains(["1", "2", "4", "6", "8"], var.cpu)
    error_message = "cpu must be one of 1, 2, 4, 6 or 8"
  }
}

variable "memory" {
  description = "Memory limit per instance, for example 512Mi or 2Gi"
  type        = string
  default     = "512Mi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.memory))
    error_message = "memory must be a quantity in Mi or Gi, for example 512Mi or 2Gi"
  }
}

variable "min_instances" {
  description = "Instances kept warm; the autoscaler never goes below this"
  type        = number
  default     = 1

  validation {
    condition     = var.min_instances >= 0 && var.min_instances <= 100 && floor(var.min_instances) == var.min_instances
    error_message = "min_instances must be a whole number from 0 to 100"
  }
}

variable "max_instances" {
  description = "Most instances the autoscaler may start"
  type        = number
  default     = 3

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 1000 && floor(var.max_instances) == var.max_instances
    error_message = "max_instances must be a whole number from 1 to 1000"
  }
}

variable "health_check_path" {
  description = "HTTP path for the startup and liveness probes"
  type        = string
  default     = "/"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with a slash, for example /healthz"
  }
}

variable "allow_public_access" {
  description = "Let anyone on the internet invoke the service (a public website); false requires IAM-authenticated callers"
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the service; turn off for environments that are destroyed by automation"
  type        = bool
  default     = true
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
