resource "digitalocean_vpc" "this" {
  name        = var.name
  region      = var.region
  ip_range    = var.ip_range
  description = "Private network for ${var.name}"
}

# The firewall selects droplets by this tag, and the tag must exist before the firewall
# refers to it; droplets join by carrying it.
resource "digitalocean_tag" "app" {
  name = "${var.name}-app"
}

resource "digitalocean_firewall" "this" {
  name = var.name
  tags = [digitalocean_tag.app.name]

  # The load balancer sits in the VPC and forwards from VPC addresses, so the app port
  # is open to the VPC range and nothing else.
  inbound_rule {
    protocol         = "tcp"
    port_range       = tostring(var.app_port)
    source_addresses = [digitalocean_vpc.this.ip_range]
  }

  dynamic "inbound_rule" {
    for_each = length(var.ssh_source_addresses) > 0 ? [1] : []

    content {
      protocol         = "tcp"
      port_range       = "22"
      source_addresses = var.ssh_source_addresses
    }
  }

  inbound_rule {
    protocol         = "icmp"
    source_addresses = [digitalocean_vpc.this.ip_range]
  }

  outbound_rule {
    protocol              = "tcp"
    port_range            = "443"
    destination_addresses = ["0.0.0.0/0", "::/0"]
  }

  outbound_rule {
    protocol              = "tcp"
    port_range            = "80"
    destination_addresses = ["0.0.0.0/0", "::/0"]
  }

  outbound_rule {
    protocol              = "udp"
    port_range            = "53"
    destination_addresses = ["0.0.0.0/0", "::/0"]
  }

  outbound_rule {
    protocol              = "udp"
    port_range            = "123"
    destination_addresses = ["0.0.0.0/0", "::/0"]
  }

  outbound_rule {
    protocol              = "tcp"
    port_range            = "25060"
    destination_addresses = [digitalocean_vpc.this.ip_range]
  }
}
