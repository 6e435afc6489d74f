locals {
  tag_key_aliases = { canopy_site_id = "site", canopy_customer_id = "customer" }
  tags            = [for key in sort(keys(var.tags)) : "${lookup(local.tag_key_aliases, key, key)}:${var.tags[key]}"]
  https_enabled   = var.tls_certificate != null && var.tls_private_key != null

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

resource "linode_instance" "this" {
  count = var.instance_count

  label           = "${var.name}-${count.index + 1}"
  region          = var.region
  type            = var.instance_type
  image           = "linode/ubuntu24.04"
  authorized_keys = var.authorized_keys
  firewall_id     = var.firewall_id
  private_ip      = true
  booted          = true

  metadata {
    user_data = base64encode(local.user_data)
  }

  interface {
    purpose = "public"
  }

  interface {
    purpose   = "vpc"
    subnet_id = var.subnet_id
  }

  tags = local.tags
}

resource "linode_nodebalancer" "this" {
  label                = var.name
  region               = var.region
  client_conn_throttle = 20

  tags = local.tags
}

resource "linode_nodebalancer_config" "http" {
  nodebalancer_id = linode_nodebalancer.this.id
  port            = 80
  protocol        = "http"
  algorithm       = "roundrobin"
  stickiness      = "none"
  check           = "http"
  check_path      = var.health_check_path
  check_interval  = 10
  check_timeout   = 5
  check_attempts  = 3
  check_passive   = true
}

resource "linode_nodebalancer_node" "http" {
  count = var.instance_count

  nodebalancer_id = linode_nodebalancer.this.id
  config_id       = linode_nodebalancer_config.http.id
  label           = "${var.name}-${count.index + 1}"
  address         = "${linode_instance.this[count.index].private_ip_address}:${var.container_port}"
  mode            = "accept"
  weight          = 100
}

resource "linode_nodebalancer_config" "https" {
  count = local.https_enabled ? 1 : 0

  nodebalancer_id = linode_nodebalancer.this.id
  port            = 443
  protocol        = "https"
  ssl_cert        = var.tls_certificate
  ssl_key         = var.tls_private_key
  cipher_suite    = "recommended"
  algorithm       = "roundrobin"
  stickiness      = "none"
  check           = "http"
  check_path      = var.health_check_path
  check_interval  = 10
  check_timeout   = 5
  check_attempts  = 3
  check_passive   = true
}

resource "linode_nodebalancer_node" "https" {
  count = local.https_enabled ? var.instance_count : 0

  nodebalancer_id = linode_nodebalancer.this.id
  config_id       = linode_nodebalancer_config.https[0].id
  label           = "${var.name}-${count.index + 1}"
  address         = "${linode_instance.this[count.index].private_ip_address}:${var.container_port}"
  mode            = "accept"
  weight          = 100
}
