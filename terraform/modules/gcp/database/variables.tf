variable "name" {
  description = "Name of the Cloud SQL instance (names cannot be reused for about a week after deletion)"
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,84}[a-z0-9])?$", var.name))
    error_message = "name must be 1-86 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen"
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
  description = "Region of the instance, for example europe-west1"
  type        = string
}

variable "network_id" {
  description = "VPC network the instance gets its private IP in (private services access must already be connected)"
  type        = string
}

variable "database_version" {
  description = "Cloud SQL PostgreSQL version"
  type        = string
  default     = "POSTGRES_16"

  validation {
    condition     = contains(["POSTGRES_14", "POSTGRES_15", "POSTGRES_16", "POSTGRES_17"], var.database_version)
    error_message = "database_version must be one of POSTGRES_14, POSTGRES_15, POSTGRES_16 or POSTGRES_17"
  }
}

variable "tier" {
  description = "Machine tier, for example db-custom-1-3840 (1 vCPU, 3.75 GB)"
  type        = string
  default     = "db-custom-1-3840"

  validation {
    condition     = can(regex("^db-(custom-[0-9]+-[0-9]+|f1-micro|g1-small|perf-optimized-N-[0-9]+)$", var.tier))
    error_message = "tier must be a Cloud SQL machine tier such as db-custom-1-3840, db-g1-small or db-f1-micro"
  }
}

variable "disk_size_gb" {
  description = "Initial disk size in GB; the disk grows automatically"
  type        = number
  default     = 20

  validation {
    condition     = var.disk_size_gb >= 10 && var.disk_size_gb <= 65536
    error_message = "disk_size_gb must be from 10 to 65536"
  }
}

variable "high_availability" {
  description = "Run a regional (two-zone) instance with automatic failover"
  type        = bool
  default     = false
}

variable "backup_retention_count" {
  description = "Number of daily backups kept; point-in-time recovery is always on"
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_count >= 1 && var.backup_retention_count <= 365
    error_message = "backup_retention_count must be from 1 to 365"
  }
}

variable "encryption_key_name" {
  description = "Cloud KMS key for customer-managed encryption; null uses Google-managed encryption. Data is encrypted at rest either way"
  type        = string
  default     = null
}

variable "database_name" {
  description = "Name of the application database"
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be 1-63 lowercase letters, digits or underscores, starting with a letter"
  }
}

variable "username" {
  description = "Built-in user the application connects as; its password is generated"
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.username)) && var.username != "postgres"
    error_message = "username must be 1-63 lowercase letters, digits or underscores, starting with a letter, and not postgres"
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance; turn off for environments that are destroyed by automation"
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
