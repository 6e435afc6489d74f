locals {
  tags = merge(var.tags, {
    canopy_site_id     = var.site_id
    canopy_customer_id = var.customer_id
    canopy_site_name   = var.name
    managed_by         = "canopy"
  })

  # Google Cloud label keys and values allow only lowercase letters, digits, "_" and "-"
  # (63 characters at most); customer tags are folded into that shape, the canopy ones
  # already fit.
  labels = {
    for key, value in local.tags :
    substr(lower(replace(key, "/[^a-zA-Z0-9_-]/", "_")), 0, 63) => substr(lower(replace(value, "/[^a-zA-Z0-9_-]/", "_")), 0, 63)
  }

  # Service account IDs are capped at 30 characters and Cloud SQL names cannot be reused
  # for a week, so both carry the random tail of the site id.
  short_name    = trim(replace(substr(var.name, 0, 18), "/-+/", "-"), "-")
  resource_name = "${local.short_name}-${substr(var.site_id, 28, 8)}"
  bucket_name   = "canopy-${var.site_id}"

  sizes = {
    small = {
      cpu           = "1"
      memory        = "512Mi"
      min_instances = 0
      max_instances = 2
      db_tier       = "db-custom-1-3840"
      db_ha         = false
    }
    medium = {
      cpu           = "1"
      memory        = "1Gi"
      min_instances = 1
      max_instances = 5
      db_tier       = "db-custom-2-7680"
      db_ha         = false
    }
    large = {
      cpu           = "2"
      memory        = "2Gi"
      min_instances = 2
      max_instances = 10
      db_tier       = "db-custom-4-15360"
      db_ha         = true
    }
  }
  size = local.sizes[var.size]

  database_environment = var.database_enabled ? {
    DATABASE_HOST     = module.database[0].private_ip
    DATABASE_PORT     = "5432"
    DATABASE_NAME     = module.database[0].database_name
    DATABASE_USER     = module.database[0].username
    DATABASE_PASSWORD = module.database[0].password
    DATABASE_SSLMODE  = "require"
  } : {}
  storage_environment = var.storage_enabled ? {
    STORAGE_BUCKET = local.bucket_name
  } : {}
}

module "network" {
  source = "../../modules/gcp/network"

  name   = local.resource_name
  region = var.region
  labels = local.labels
}

module "compute" {
  source = "../../modules/gcp/compute"

  name         = local.resource_name
  region       = var.region
  network_id   = module.network.network_id
  subnet_id    = module.network.subnet_id
  network_tags = [module.network.app_network_tag]

  image          = var.runtime.image
  container_port = var.runtime.port
  environment    = merge(var.runtime.env, local.database_environment, local.storage_environment)
  cpu            = local.size.cpu
  memory         = local.size.memory
  min_instances  = local.size.min_instances
  max_instances  = local.size.max_instances

  # Deleting a site runs terraform destroy; the provisioner, not a flag, guards that.
  deletion_protection = false
  labels              = local.labels
}

module "database" {
  source = "../../modules/gcp/database"
  count  = var.database_enabled ? 1 : 0

  name              = local.resource_name
  region            = var.region
  network_id        = module.network.network_id
  tier              = local.size.db_tier
  high_availability = local.size.db_ha

  # Cloud SQL keeps its backups for a while after the instance is deleted.
  deletion_protection = false
  labels              = local.labels

  depends_on = [module.network]
}

module "storage" {
  source = "../../modules/gcp/storage"
  count  = var.storage_enabled ? 1 : 0

  bucket_name          = local.bucket_name
  location             = upper(var.region)
  object_admin_members = ["serviceAccount:${module.compute.service_account_email}"]
  labels               = local.labels
}
