locals {
  # Cost allocation: every taggable resource carries the site and customer, and these
  # keys win over anything the customer passes in var.tags. The modules render them as
  # "site:<id>" and "customer:<id>" to fit Linode's 50-character tags.
  tags = merge(var.tags, {
    canopy_site_id     = var.site_id
    canopy_customer_id = var.customer_id
    canopy_site_name   = var.name
    managed_by         = "canopy"
  })

  # Linode labels are capped at 32 characters (instances add "-<n>").
  short_name    = trim(replace(substr(var.name, 0, 18), "/-+/", "-"), "-")
  resource_name = "${local.short_name}-${substr(var.site_id, 28, 8)}"

  sizes = {
    small = {
      instance_type  = "g6-nanode-1"
      instance_count = 1
    }
    medium = {
      instance_type  = "g6-standard-1"
      instance_count = 2
    }
    large = {
      instance_type  = "g6-standard-4"
      instance_count = 3
    }
  }
  size = local.sizes[var.size]
}

module "network" {
  source = "../../modules/akamai/network"

  name     = local.resource_name
  region   = var.region
  app_port = var.runtime.port
  tags     = local.tags
}

module "compute" {
  source = "../../modules/akamai/compute"

  name           = local.resource_name
  region         = var.region
  subnet_id      = module.network.subnet_id
  firewall_id    = module.network.firewall_id
  instance_type  = local.size.instance_type
  instance_count = local.size.instance_count

  image          = var.runtime.image
  container_port = var.runtime.port
  environment    = var.runtime.env
  tags           = local.tags
}
