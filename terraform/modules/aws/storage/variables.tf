variable "bucket_name" {
  description = "Globally unique S3 bucket name"
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.bucket_name)) && !strcontains(var.bucket_name, "--") && !startswith(var.bucket_name, "xn--")
    error_message = "bucket_name must be 3-63 lowercase letters, digits or single hyphens, starting and ending with a letter or digit"
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

variable "kms_key_arn" {
  description = "Customer-managed KMS key for SSE-KMS; null uses SSE-S3 (AES-256). Objects are encrypted either way"
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN"
  }
}

variable "read_write_principal_arns" {
  description = "IAM principals (for example the app's task role) allowed to list, read, write and delete objects"
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.read_write_principal_arns : can(regex("^arn:aws[a-z-]*:iam::", arn))])
    error_message = "read_write_principal_arns must contain IAM role or user ARNs"
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete a bucket that still holds objects"
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every taggable resource"
  type        = map(string)
  default     = {}
}
