locals {
  # Linode tags are single strings capped at 50 characters, too short for
  # "canopy_customer_id:<uuid>", so the two cost keys get short names.
  tag_key_aliases = { canopy_site_id = "site", canopy_customer_id = "customer" }
  tags            = [for key in sort(keys(var.tags)) : "${lookup(local.tag_key_aliases, key, key)}:${var.tags[key]}"]

  # NodeBalancers reach their backends from this range over the private network.
  nodebalancer_source_range = "192.168.255.0/24"
}

resource "linode_vpc" "this" {
  label       = var.name
  region      = var.region
  description = "Private network for ${var.name}"
}

resource "linode_vpc_subnet" "this" {
  vpc_id = linode_vpc.this.id
  label  = "${var.name}-app"
  ipv4   = var.subnet_cidr
}

resource "linode_firewall" "this" {
  label           = var.name
  inbound_policy  = "DROP"
  outbound_policy = "DROP"

  inbound {
    label    = "app-from-nodebalancer"
    action   = "ACCEPT"
    protocol = "TCP"
    ports    = tostring(var.app_port)
    ipv4     = [local.nodebalancer_source_range]
  }

  inbound {
    label    = "app-from-vpc"
    action   = "ACCEPT"
    protocol = "TCP"
    ports    = tostring(var.app_port)
    ipv4     = [var.subnet_cidr]
  }

  dynamic "inbound" {
    for_each = length(var.ssh_source_addresses) > 0 ? [1] : []

    content {
      label    = "ssh-from-operators"
      action   = "ACCEPT"
      protocol = "TCP"
      ports    = "22"
      ipv4     = var.ssh_source_addresses
    }
  }

  outbound {
    label    = "web-out"
    action   = "ACCEPT"
    protocol = "TCP"
    ports    = "80,443"
    ipv4     = ["0.0.0.0/0"]
    ipv6     = ["::/0"]
  }

  outbound {
    label    = "dns-out"
    action   = "ACCEPT"
    protocol = "UDP"
    ports    = "53"
    ipv4     = ["0.0.0.0/0"]
    ipv6     = ["::/0"]
  }

  outbound {
    label    = "ntp-out"
    action   = "ACCEPT"
    protocol = "UDP"
    ports    = "123"
    ipv4     = ["0.0.0.0/0"]
    ipv6     = ["::/0"]
  }

  outbound {
    label    = "vpc-out"
    action   = "ACCEPT"
    protocol = "TCP"
    ports    = "1-65535"
    ipv4     = [var.subnet_cidr]
  }

  tags = local.tags
}
