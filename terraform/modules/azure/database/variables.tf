variable "name" {
  description = "Name of the PostgreSQL Flexible Server (globally unique within postgres.database.azure.com)"
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])$", var.name))
    error_message = "name must be 3-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen"
  }
}

variable "resource_group_name" {
  description = "Resource group that holds the server and its private DNS zone"
  type        = string
}

variable "location" {
  description = "Azure region, for example westeurope"
  type        = string
}

variable "virtual_network_id" {
  description = "Virtual network the private DNS zone is linked to, so apps in it resolve the server's private address"
  type        = string
}

variable "delegated_subnet_id" {
  description = "Subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers; the server gets a private address there and no public endpoint"
  type        = string
}

variable "postgresql_version" {
  description = "PostgreSQL major version"
  type        = string
  default     = "16"

  validation {
    condition     = contains(["14", "15", "16"], var.postgresql_version)
    error_message = "postgresql_version must be one of 14, 15 or 16"
  }
}

variable "sku_name" {
  description = "Compute SKU as tier_family_size, for example B_Standard_B1ms or GP_Standard_D2ds_v5"
  type        = string
  default     = "B_Standard_B1ms"

  validation {
    condition     = can(regex("^(B|GP|MO)_Standard_[A-Za-z0-9_]+$", var.sku_name))
    error_message = "sku_name must look like B_Standard_B1ms, GP_Standard_D2ds_v5 or MO_Standard_E2ds_v5"
  }
}

variable "storage_mb" {
  description = "Storage size in MB"
  type        = number
  default     = 32768

  validation {
    condition     = contains([32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608, 16777216, 33553408], var.storage_mb)
    error_message = "storage_mb must be one of 32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608, 16777216 or 33553408"
  }
}

variable "backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery"
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be from 7 to 35"
  }
}

variable "geo_redundant_backup_enabled" {
  description = "Copy backups to the paired region (cannot be changed after creation)"
  type        = bool
  default     = false
}

variable "high_availability" {
  description = "Run a zone-redundant standby with automatic failover (not available on Burstable SKUs)"
  type        = bool
  default     = false
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

variable "administrator_login" {
  description = "Administrator user name; its password is generated"
  type        = string
  default     = "app_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.administrator_login)) && !contains(["admin", "administrator", "azure_superuser", "postgres", "root", "guest", "public"], var.administrator_login)
    error_message = "administrator_login must be 1-63 lowercase letters, digits or underscores, starting with a letter, and not a reserved name (admin, administrator, azure_superuser, postgres, root, guest, public)"
  }
}

variable "tags" {
  description = "Tags added to every taggable resource"
  type        = map(string)
  default     = {}
}
