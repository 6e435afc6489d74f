variable "bucket_name" {
  description = "Globally unique bucket name"
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$", var.bucket_name)) && !startswith(var.bucket_name, "goog")
    error_message = "bucket_name must be 3-63 lowercase letters, digits, hyphens or underscores, starting and ending with a letter or digit, and not starting with goog"
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

variable "location" {
  description = "Bucket location: a region such as europe-west1 or a multi-region such as EU"
  type        = string
}

variable "versioning_enabled" {
  description = "Keep noncurrent object versions so overwrites and deletes can be undone"
  type        = bool
  default     = true
}

variable "noncurrent_version_retention_days" {
  description = "Days to keep noncurrent object versions"
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days must be at least 1"
  }
}

variable "object_admin_members" {
  description = "IAM members (for example serviceAccount:app@project.iam.gserviceaccount.com) given roles/storage.objectAdmin on the bucket"
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for member in var.object_admin_members : can(regex("^(serviceAccount|user|group):", member))])
    error_message = "object_admin_members must be serviceAccount:, user: or group: members; allUsers and allAuthenticatedUsers are not allowed"
  }
}

variable "kms_key_name" {
  description = "Cloud KMS key for default customer-managed encryption; null uses Google-managed encryption. Objects are encrypted either way"
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let terraform destroy delete a bucket that still holds objects"
  type        = bool
  default     = false
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
