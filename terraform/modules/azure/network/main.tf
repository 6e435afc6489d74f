locals {
  app_subnet_prefix      = cidrsubnet(var.address_space, 24 - tonumber(split("/", var.address_space)[1]), 1)
  database_subnet_prefix = cidrsubnet(var.address_space, 24 - tonumber(split("/", var.address_space)[1]), 2)
}

resource "azurerm_virtual_network" "this" {
  name                = var.name
  resource_group_name = var.resource_group_name
  location            = var.location
  address_space       = [var.address_space]

  tags = var.tags
}

# App Service regional VNet integration: outbound traffic from the app enters the VNet here.
resource "azurerm_subnet" "app" {
  name                 = "${var.name}-app"
  resource_group_name  = var.resource_group_name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [local.app_subnet_prefix]
  service_endpoints    = ["Microsoft.Storage"]

  delegation {
    name = "app-service"

    service_delegation {
      name    = "Microsoft.Web/serverFarms"
      actions = ["Microsoft.Network/virtualNetworks/subnets/action"]
    }
  }
}

# PostgreSQL Flexible Server with private access needs a subnet delegated to it alone.
resource "azurerm_subnet" "database" {
  name                 = "${var.name}-db"
  resource_group_name  = var.resource_group_name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [local.database_subnet_prefix]

  delegation {
    name = "postgresql-flexible"

    service_delegation {
      name    = "Microsoft.DBforPostgreSQL/flexibleServers"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

################################################################################
# Network security groups: the database subnet admits PostgreSQL from the app
# subnet and nothing else; the app subnet carries no inbound traffic at all.
################################################################################

resource "azurerm_network_security_group" "app" {
  name                = "${var.name}-app"
  resource_group_name = var.resource_group_name
  location            = var.location

  security_rule {
    name                       = "deny-all-inbound"
    description                = "App Service receives requests on its own front end; nothing enters through the integration subnet"
    priority                   = 4096
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }

  tags = var.tags
}

resource "azurerm_network_security_group" "database" {
  name                = "${var.name}-db"
  resource_group_name = var.resource_group_name
  location            = var.location

  security_rule {
    name                       = "allow-postgres-from-app"
    description                = "PostgreSQL from the app integration subnet"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "5432"
    source_address_prefix      = local.app_subnet_prefix
    destination_address_prefix = local.database_subnet_prefix
  }

  security_rule {
    name                       = "deny-vnet-inbound"
    description                = "Override the default rule that admits the whole virtual network"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "VirtualNetwork"
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "deny-internet-outbound"
    description                = "The database never initiates connections to the internet"
    priority                   = 4000
    direction                  = "Outbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "*"
    destination_address_prefix = "Internet"
  }

  tags = var.tags
}

resource "azurerm_subnet_network_security_group_association" "app" {
  subnet_id                 = azurerm_subnet.app.id
  network_security_group_id = azurerm_network_security_group.app.id
}

resource "azurerm_subnet_network_security_group_association" "database" {
  subnet_id                 = azurerm_subnet.database.id
  network_security_group_id = azurerm_network_security_group.database.id
}

################################################################################
# NAT gateway: a stable outbound address for the app (for allow-lists at
# payment providers and stores).
################################################################################

resource "azurerm_public_ip" "nat" {
  name                = "${var.name}-nat"
  resource_group_name = var.resource_group_name
  location            = var.location
  allocation_method   = "Static"
  sku                 = "Standard"

  tags = var.tags
}

resource "azurerm_nat_gateway" "this" {
  name                    = var.name
  resource_group_name     = var.resource_group_name
  location                = var.location
  sku_name                = "Standard"
  idle_timeout_in_minutes = var.nat_idle_timeout_minutes

  tags = var.tags
}

resource "azurerm_nat_gateway_public_ip_association" "this" {
  nat_gateway_id       = azurerm_nat_gateway.this.id
  public_ip_address_id = azurerm_public_ip.nat.id
}

resource "azurerm_subnet_nat_gateway_association" "app" {
  subnet_id      = azurerm_subnet.app.id
  nat_gateway_id = azurerm_nat_gateway.this.id
}
