locals {
  # Cost allocation: every taggable resource carries the site and customer, and these
  # keys win over anything the customer passes in var.tags. The modules render them as
  # "key:value" droplet and database tags.
  tags = merge(var.tags, {
    canopy_site_id     = var.site_id
    canopy_customer_id = var.customer_id
    canopy_site_name   = var.name
    managed_by         = "canopy"
  })

  short_name    = trim(replace(substr(var.name, 0, 40), "/-+/", "-"), "-")
  resource_name = "${local.short_name}-${substr(var.site_id, 28, 8)}"
  bucket_name   = "canopy-${var.site_id}"

  sizes = {
    small = {
      droplet_size  = "s-1vcpu-1gb"
      droplet_count = 1
      db_size       = "db-s-1vcpu-1gb"
      db_nodes      = 1
    }
    medium = {
      droplet_size  = "s-2vcpu-2gb"
      droplet_count = 2
      db_size       = "db-s-1vcpu-2gb"
      db_nodes      = 1
    }
    large = {
      droplet_size  = "s-4vcpu-8gb"
      droplet_count = 3
      db_size       = "db-s-2vcpu-4gb"
      db_nodes      = 2
    }
  }
  size = local.sizes[var.size]

  database_environment = var.database_enabled ? {
    DATABASE_HOST     = module.database[0].private_host
    DATABASE_PORT     = tostring(module.database[0].port)
    DATABASE_NAME     = module.database[0].database_name
    DATABASE_USER     = module.database[0].username
    DATABASE_PASSWORD = module.database[0].password
    DATABASE_SSLMODE  = "require"
  } : {}
  storage_environment = var.storage_enabled ? {
    STORAGE_BUCKET   = local.bucket_name
    STORAGE_ENDPOINT = module.storage[0].endpoint
  } : {}
}

module "network" {
  source = "../../modules/digitalocean/network"

  name     = local.resource_name
  region   = var.region
  app_port = var.runtime.port
}

module "compute" {
  source = "../../modules/digitalocean/compute"

  name          = local.resource_name
  region        = var.region
  vpc_id        = module.network.vpc_id
  firewall_tag  = module.network.app_tag
  droplet_size  = local.size.droplet_size
  droplet_count = local.size.droplet_count

  image          = var.runtime.image
  container_port = var.runtime.port
  environment    = merge(var.runtime.env, local.database_environment, local.storage_environment)
  tags           = local.tags
}

module "database" {
  source = "../../modules/digitalocean/database"
  count  = var.database_enabled ? 1 : 0

  name                = local.resource_name
  region              = var.region
  vpc_id              = module.network.vpc_id
  trusted_droplet_tag = module.network.app_tag
  size                = local.size.db_size
  node_count          = local.size.db_nodes
  tags                = local.tags
}

module "storage" {
  source = "../../modules/digitalocean/storage"
  count  = var.storage_enabled ? 1 : 0

  bucket_name = local.bucket_name
  region      = var.region
}
