locals {
  # Cloud Run revisions carry this network tag on their VPC egress, so the egress firewall
  # rules below apply to the app and to nothing else in the network.
  app_network_tag = "${var.name}-app"
}

resource "google_compute_network" "this" {
  project                 = var.project_id
  name                    = var.name
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
}

resource "google_compute_subnetwork" "this" {
  project                  = var.project_id
  name                     = "${var.name}-${var.region}"
  region                   = var.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true

  log_config {
    aggregation_interval = "INTERVAL_5_SEC"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_router" "this" {
  project = var.project_id
  name    = var.name
  region  = var.region
  network = google_compute_network.this.id
}

resource "google_compute_router_nat" "this" {
  project                            = var.project_id
  name                               = var.name
  region                             = var.region
  router                             = google_compute_router.this.name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.this.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

################################################################################
# Private services access: Cloud SQL gets private IPs from this range over VPC
# peering, so databases never need a public address.
################################################################################

resource "google_compute_global_address" "private_services" {
  project       = var.project_id
  name          = "${var.name}-private-services"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = var.private_services_prefix_length
  network       = google_compute_network.this.id
  labels        = var.labels
}

resource "google_service_networking_connection" "this" {
  network                 = google_compute_network.this.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
}

################################################################################
# Firewall: nothing comes in; the app may reach PostgreSQL in the private services
# range and nothing else that is private.
################################################################################

resource "google_compute_firewall" "deny_all_ingress" {
  project     = var.project_id
  name        = "${var.name}-deny-all-ingress"
  network     = google_compute_network.this.name
  description = "Explicit, logged version of the implied deny-all ingress rule"
  direction   = "INGRESS"
  priority    = 65534

  deny {
    protocol = "all"
  }

  source_ranges = ["0.0.0.0/0"]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "app_to_database" {
  project     = var.project_id
  name        = "${var.name}-app-to-postgres"
  network     = google_compute_network.this.name
  description = "The app may open PostgreSQL connections to Cloud SQL private IPs"
  direction   = "EGRESS"
  priority    = 1000
  target_tags = [local.app_network_tag]

  allow {
    protocol = "tcp"
    ports    = ["5432"]
  }

  destination_ranges = ["${google_compute_global_address.private_services.address}/${var.private_services_prefix_length}"]
}

resource "google_compute_firewall" "app_deny_private_egress" {
  project     = var.project_id
  name        = "${var.name}-app-deny-private"
  network     = google_compute_network.this.name
  description = "The app may not reach any other private address (lateral movement)"
  direction   = "EGRESS"
  priority    = 2000
  target_tags = [local.app_network_tag]

  deny {
    protocol = "all"
  }

  destination_ranges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}
