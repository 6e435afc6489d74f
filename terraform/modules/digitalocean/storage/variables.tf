variable "bucket_name" {
  description = "Globally unique Spaces bucket name"
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 lowercase letters, digits or hyphens, starting and ending with a letter or digit"
  }
}

variable "region" {
  description = "Spaces region slug, for example ams3 (Spaces is not offered in every droplet region)"
  type        = string

  validation {
    condition     = contains(["nyc3", "sfo2", "sfo3", "ams3", "fra1", "sgp1", "syd1", "blr1", "lon1", "tor1", "atl1"], var.region)
    error_message = "region must be a Spaces region: nyc3, sfo2, sfo3, ams3, fra1, sgp1, syd1, blr1, lon1, tor1 or atl1"
  }
}

variable "versioning_enabled" {
  description = "Keep every version of every object so overwrites and deletes can be undone"
  type        = bool
  default     = true
}

variable "noncurrent_version_retention_days" {
  description = "Days to keep object versions after they are overwritten or deleted"
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days must be at least 1"
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete a bucket that still holds objects"
  type        = bool
  default     = false
}
