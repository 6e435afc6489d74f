# Managed PostgreSQL is encrypted at rest and backed up daily (seven days of
# point-in-time recovery) by DigitalOcean; neither can be turned off.
resource "digitalocean_database_cluster" "this" {
  name                 = var.name
  engine               = "pg"
  version              = var.postgresql_version
  size                 = var.size
  region               = var.region
  node_count           = var.node_count
  private_network_uuid = var.vpc_id

  maintenance_window {
    day  = "sunday"
    hour = "04:00:00"
  }

  tags = [for key in sort(keys(var.tags)) : "${key}:${var.tags[key]}"]
}

# Trusted sources: once any rule exists, the public endpoint refuses everything else.
resource "digitalocean_database_firewall" "this" {
  cluster_id = digitalocean_database_cluster.this.id

  rule {
    type  = "tag"
    value = var.trusted_droplet_tag
  }
}

resource "digitalocean_database_db" "this" {
  cluster_id = digitalocean_database_cluster.this.id
  name       = var.database_name
}

resource "digitalocean_database_user" "this" {
  cluster_id = digitalocean_database_cluster.this.id
  name       = var.username
}
