variable "name" {
  description = "Identifier of the RDS instance and prefix of its subnet and parameter groups"
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,50}[a-z0-9])?$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 1-52 lowercase letters, digits or single hyphens, starting with a letter and not ending with a hyphen"
  }
}

variable "subnet_ids" {
  description = "Private subnets for the database subnet group, in at least two availability zones"
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two private subnets in different availability zones"
  }
}

variable "security_group_ids" {
  description = "Security groups attached to the instance; they decide who may connect (the network module's database group admits the app tier only)"
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) >= 1
    error_message = "security_group_ids must list at least one security group"
  }
}

variable "engine_version" {
  description = "PostgreSQL major version; minor versions are upgraded automatically in the maintenance window"
  type        = string
  default     = "16"

  validation {
    condition     = contains(["14", "15", "16", "17"], var.engine_version)
    error_message = "engine_version must be one of the supported PostgreSQL major versions: 14, 15, 16 or 17"
  }
}

variable "instance_class" {
  description = "RDS instance class, for example db.t4g.micro or db.m7g.large"
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must be an RDS instance class such as db.t4g.micro or db.m7g.large"
  }
}

variable "allocated_storage" {
  description = "Initial storage in GiB"
  type        = number
  default     = 20

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536
    error_message = "allocated_storage must be from 20 to 65536 GiB"
  }
}

variable "max_allocated_storage" {
  description = "Ceiling in GiB for storage autoscaling; equal to allocated_storage turns autoscaling off"
  type        = number
  default     = 100

  validation {
    condition     = var.max_allocated_storage >= 20 && var.max_allocated_storage <= 65536
    error_message = "max_allocated_storage must be from 20 to 65536 GiB"
  }
}

variable "database_name" {
  description = "Name of the database created on the instance"
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be 1-63 lowercase letters, digits or underscores, starting with a letter"
  }
}

variable "username" {
  description = "Master user name; its password is generated and kept in Secrets Manager by RDS"
  type        = string
  default     = "app_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.username)) && !contains(["admin", "postgres", "rdsadmin"], var.username)
    error_message = "username must be 1-63 lowercase letters, digits or underscores, starting with a letter, and not a reserved name (admin, postgres, rdsadmin)"
  }
}

variable "multi_az" {
  description = "Run a synchronous standby in a second availability zone with automatic failover"
  type        = bool
  default     = false
}

variable "create_read_replica" {
  description = "Create one asynchronous read replica of the instance"
  type        = bool
  default     = false
}

variable "backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery; backups cannot be turned off"
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be from 1 to 35; automated backups are always on"
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for storage encryption; null uses the AWS-managed RDS key. Storage is encrypted either way"
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN"
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance; turn off for environments that are destroyed by automation"
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every taggable resource"
  type        = map(string)
  default     = {}
}
