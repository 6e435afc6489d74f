locals {
  # Cost allocation: every taggable resource carries the site and customer, and these
  # keys win over anything the customer passes in var.tags.
  tags = merge(var.tags, {
    canopy_site_id     = var.site_id
    canopy_customer_id = var.customer_id
    canopy_site_name   = var.name
    managed_by         = "canopy"
  })

  # Web app and database server names are global, so they carry the random tail of the
  # site id; storage account names allow only 24 lowercase letters and digits.
  short_name    = trim(replace(substr(var.name, 0, 40), "/-+/", "-"), "-")
  resource_name = "${local.short_name}-${substr(var.site_id, 28, 8)}"
  account_name  = "cnp${substr(replace(var.site_id, "-", ""), 11, 21)}"

  sizes = {
    small = {
      plan_sku      = "P0v3"
      min_instances = 1
      max_instances = 2
      db_sku        = "B_Standard_B1ms"
      db_ha         = false
    }
    medium = {
      plan_sku      = "P1v3"
      min_instances = 2
      max_instances = 4
      db_sku        = "GP_Standard_D2ds_v5"
      db_ha         = false
    }
    large = {
      plan_sku      = "P2v3"
      min_instances = 2
      max_instances = 8
      db_sku        = "GP_Standard_D4ds_v5"
      db_ha         = true
    }
  }
  size = local.sizes[var.size]

  database_environment = var.database_enabled ? {
    DATABASE_HOST     = module.database[0].fqdn
    DATABASE_PORT     = "5432"
    DATABASE_NAME     = module.database[0].database_name
    DATABASE_USER     = module.database[0].administrator_login
    DATABASE_PASSWORD = module.database[0].administrator_password
    DATABASE_SSLMODE  = "require"
  } : {}
  storage_environment = var.storage_enabled ? {
    STORAGE_ACCOUNT   = local.account_name
    STORAGE_CONTAINER = "content"
  } : {}
}

resource "azurerm_resource_group" "this" {
  name     = "canopy-${local.resource_name}"
  location = var.region

  tags = local.tags
}

module "network" {
  source = "../../modules/azure/network"

  name                = local.resource_name
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  tags                = local.tags
}

module "compute" {
  source = "../../modules/azure/compute"

  name                = local.resource_name
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  subnet_id           = module.network.app_subnet_id
  sku_name            = local.size.plan_sku
  min_instances       = local.size.min_instances
  max_instances       = local.size.max_instances

  image          = var.runtime.image
  container_port = var.runtime.port
  environment    = merge(var.runtime.env, local.database_environment, local.storage_environment)
  tags           = local.tags
}

module "database" {
  source = "../../modules/azure/database"
  count  = var.database_enabled ? 1 : 0

  name                = local.resource_name
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  virtual_network_id  = module.network.virtual_network_id
  delegated_subnet_id = module.network.database_subnet_id
  sku_name            = local.size.db_sku
  high_availability   = local.size.db_ha
  tags                = local.tags
}

module "storage" {
  source = "../../modules/azure/storage"
  count  = var.storage_enabled ? 1 : 0

  account_name                   = local.account_name
  container_name                 = "content"
  resource_group_name            = azurerm_resource_group.this.name
  location                       = azurerm_resource_group.this.location
  allowed_subnet_ids             = [module.network.app_subnet_id]
  data_contributor_principal_ids = [module.compute.principal_id]
  tags                           = local.tags
}
