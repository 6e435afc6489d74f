variable "account_name" {
  description = "Globally unique storage account name"
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{3,24}$", var.account_name))
    error_message = "account_name must be 3-24 lowercase letters or digits"
  }
}

variable "container_name" {
  description = "Name of the private blob container created in the account"
  type        = string
  default     = "content"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])$", var.container_name)) && !strcontains(var.container_name, "--")
    error_message = "container_name must be 3-63 lowercase letters, digits or single hyphens, starting and ending with a letter or digit"
  }
}

variable "resource_group_name" {
  description = "Resource group that holds the storage account"
  type        = string
}

variable "location" {
  description = "Azure region, for example westeurope"
  type        = string
}

variable "replication_type" {
  description = "Redundancy of the account: LRS, ZRS, GRS, RAGRS, GZRS or RAGZRS"
  type        = string
  default     = "ZRS"

  validation {
    condition     = contains(["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"], var.replication_type)
    error_message = "replication_type must be one of LRS, ZRS, GRS, RAGRS, GZRS or RAGZRS"
  }
}

variable "allowed_subnet_ids" {
  description = "Subnets (with the Microsoft.Storage service endpoint) allowed through the account firewall; every other network is denied"
  type        = list(string)
  default     = []
}

variable "data_contributor_principal_ids" {
  description = "Entra ID object IDs (for example an app's managed identity) given Storage Blob Data Contributor on the container"
  type        = list(string)
  default     = []
}

variable "soft_delete_retention_days" {
  description = "Days deleted blobs and containers can be restored"
  type        = number
  default     = 14

  validation {
    condition     = var.soft_delete_retention_days >= 1 && var.soft_delete_retention_days <= 365
    error_message = "soft_delete_retention_days must be from 1 to 365"
  }
}

variable "tags" {
  description = "Tags added to every taggable resource"
  type        = map(string)
  default     = {}
}
