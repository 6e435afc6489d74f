locals {
  tags          = [for key in sort(keys(var.tags)) : "${key}:${var.tags[key]}"]
  https_enabled = var.certificate_name != null

  # cloud-init: install Docker's runtime from the image's repositories, write the
  # environment to a root-only file, and run the container with a restart policy.
  user_data = join("\n", ["#cloud-config", yamlencode({
    package_update = true
    packages       = ["docker.io"]
    write_files = [{
      path        = "/etc/canopy/app.env"
      permissions = "0600"
      owner       = "root:root"
      content     = join("\n", [for key in sort(keys(var.environment)) : "${key}=${var.environment[key]}"])
    }]
    runcmd = [
      ["systemctl", "enable", "--now", "docker"],
      ["docker", "run", "--detach", "--name", "app", "--restart", "always", "--env-file", "/etc/canopy/app.env", "--publish", "${var.container_port}:${var.container_port}", var.image],
    ]
  })])
}

resource "digitalocean_droplet" "this" {
  count = var.droplet_count

  name       = "${var.name}-${count.index + 1}"
  region     = var.region
  size       = var.droplet_size
  image      = "ubuntu-24-04-x64"
  vpc_uuid   = var.vpc_id
  ssh_keys   = var.ssh_key_fingerprints
  user_data  = local.user_data
  monitoring = true
  ipv6       = true
  backups    = false

  graceful_shutdown = true

  tags = concat([var.firewall_tag], local.tags)

  # A changed image or environment is rolled out by replacing droplets, which
  # create_before_destroy does without dropping out of the load balancer.
  lifecycle {
    create_before_destroy = true
  }
}

resource "digitalocean_loadbalancer" "this" {
  name                   = var.name
  region                 = var.region
  vpc_uuid               = var.vpc_id
  size_unit              = 1
  droplet_ids            = digitalocean_droplet.this[*].id
  redirect_http_to_https = local.https_enabled

  forwarding_rule {
    entry_protocol  = "http"
    entry_port      = 80
    target_protocol = "http"
    target_port     = var.container_port
  }

  dynamic "forwarding_rule" {
    for_each = local.https_enabled ? [var.certificate_name] : []

    content {
      entry_protocol   = "https"
      entry_port       = 443
      target_protocol  = "http"
      target_port      = var.container_port
      certificate_name = forwarding_rule.value
      tls_passthrough  = false
    }
  }

  healthcheck {
    protocol                 = "http"
    port                     = var.container_port
    path                     = var.health_check_path
    check_interval_seconds   = 10
    response_timeout_seconds = 5
    healthy_threshold        = 3
    unhealthy_threshold      = 3
  }
}
