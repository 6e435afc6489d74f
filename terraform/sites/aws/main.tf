locals {
  # Cost allocation: every taggable resource carries the site and customer, and these
  # keys win over anything the customer passes in var.tags.
  tags = merge(var.tags, {
    canopy_site_id     = var.site_id
    canopy_customer_id = var.customer_id
    canopy_site_name   = var.name
    managed_by         = "canopy"
  })

  # "<name>-<last 8 hex digits of the site id>": unique per site (the tail of a UUID is
  # random in v4 and v7) and within the 24-character limit of load balancer names.
  short_name    = trim(replace(substr(var.name, 0, 14), "/-+/", "-"), "-")
  resource_name = "${local.short_name}-${substr(var.site_id, 28, 8)}"
  bucket_name   = "canopy-${var.site_id}"

  sizes = {
    small = {
      task_cpu          = 256
      task_memory       = 512
      min_tasks         = 1
      max_tasks         = 2
      db_instance_class = "db.t4g.micro"
      db_multi_az       = false
    }
    medium = {
      task_cpu          = 512
      task_memory       = 1024
      min_tasks         = 2
      max_tasks         = 4
      db_instance_class = "db.t4g.small"
      db_multi_az       = false
    }
    large = {
      task_cpu          = 1024
      task_memory       = 2048
      min_tasks         = 2
      max_tasks         = 8
      db_instance_class = "db.m7g.large"
      db_multi_az       = true
    }
  }
  size = local.sizes[var.size]

  # What the app learns about the resources created for it.
  database_environment = var.database_enabled ? {
    DATABASE_HOST    = module.database[0].address
    DATABASE_PORT    = tostring(module.database[0].port)
    DATABASE_NAME    = module.database[0].database_name
    DATABASE_SSLMODE = "require"
  } : {}
  storage_environment = var.storage_enabled ? {
    STORAGE_BUCKET = local.bucket_name
    STORAGE_REGION = var.region
  } : {}
}

module "network" {
  source = "../../modules/aws/network"

  name     = local.resource_name
  app_port = var.runtime.port
  tags     = local.tags
}

module "compute" {
  source = "../../modules/aws/compute"

  name                            = local.resource_name
  vpc_id                          = module.network.vpc_id
  public_subnet_ids               = module.network.public_subnet_ids
  private_subnet_ids              = module.network.private_subnet_ids
  load_balancer_security_group_id = module.network.load_balancer_security_group_id
  app_security_group_id           = module.network.app_security_group_id

  image          = var.runtime.image
  container_port = var.runtime.port
  environment    = merge(var.runtime.env, local.database_environment, local.storage_environment)
  secrets        = var.database_enabled ? { DATABASE_CREDENTIALS = module.database[0].master_user_secret_arn } : {}

  cpu          = local.size.task_cpu
  memory       = local.size.task_memory
  min_capacity = local.size.min_tasks
  max_capacity = local.size.max_tasks

  # Deleting a site runs terraform destroy; the provisioner, not a flag, guards that.
  deletion_protection = false
  tags                = local.tags
}

module "database" {
  source = "../../modules/aws/database"
  count  = var.database_enabled ? 1 : 0

  name               = local.resource_name
  subnet_ids         = module.network.private_subnet_ids
  security_group_ids = [module.network.database_security_group_id]
  instance_class     = local.size.db_instance_class
  multi_az           = local.size.db_multi_az

  # Destroy leaves a final snapshot behind, so a deleted site's data stays recoverable.
  deletion_protection = false
  tags                = local.tags
}

module "storage" {
  source = "../../modules/aws/storage"
  count  = var.storage_enabled ? 1 : 0

  bucket_name               = local.bucket_name
  read_write_principal_arns = [module.compute.task_role_arn]
  tags                      = local.tags
}
