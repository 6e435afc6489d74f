-- The commerce service: sites' connections to their stores (integrations), the
-- credentials sealed with the kit's envelope encryption, and every health check.
-- Customer rows carry tenant_id under the usual forced RLS; the health worker claims
-- due checks in the platform scope.

create table integration (
    tenant_id uuid not null,
    id uuid not null,
    site_id uuid not null,
    platform text not null check (platform in ('shopify', 'woocommerce', 'bigcommerce')),
    display_name text not null,
    -- The shop domain, store URL or store hash: not a secret.
    store text not null,
    -- The store's own name, as its API last reported it.
    store_name text not null default '',
    -- Every credential field as JSON, sealed by canopy_kit::secrets and bound to
    -- (tenant, commerce.integration, id, credentials).
    credentials bytea not null,
    -- Field name → what may be shown: the last four characters of secrets.
    credential_hints jsonb not null,
    health text not null default 'unknown' check (health in ('unknown', 'healthy', 'unhealthy')),
    cause text not null default '',
    message text not null default '',
    last_check_at timestamptz,
    next_check_at timestamptz not null,
    -- The health worker holding the check, until then.
    check_lease_until timestamptz,
    revision bigint not null default 1,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    primary key (tenant_id, id)
);
create index integration_site on integration (tenant_id, site_id, created_at desc);
create index integration_due on integration (next_check_at);
alter table integration enable row level security;
alter table integration force row level security;
create policy tenant_isolation on integration
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- One row per check: scheduled, on demand, or at creation and rotation.
create table health_check (
    tenant_id uuid not null,
    integration_id uuid not null,
    id uuid not null,
    checked_at timestamptz not null,
    health text not null check (health in ('healthy', 'unhealthy', 'unknown')),
    cause text not null,
    message text not null,
    trigger text not null check (trigger in ('scheduled', 'on_demand', 'created', 'rotated')),
    primary key (tenant_id, integration_id, id),
    foreign key (tenant_id, integration_id) references integration (tenant_id, id) on delete cascade
);
create index health_check_recent on health_check (tenant_id, integration_id, checked_at desc);
create index health_check_age on health_check (checked_at);
alter table health_check enable row level security;
alter table health_check force row level security;
create policy tenant_isolation on health_check
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);
-- canopy_kit::secrets: the service's data keys. One per tenant (tenant_id null: the
-- platform's own), versioned; `wrapped` is the key under the KEK version `kek_version`.
-- A retired version (retired_at set) no longer decrypts. Tenant rows are under the
-- usual forced RLS; platform rows (tenant_id null) are reached only in the platform
-- scope (the kit's platform_scope policy) or from the owner pool.
create table data_key (
    tenant_id uuid,
    version integer not null check (version > 0),
    wrapped bytea not null,
    kek_version integer not null check (kek_version > 0),
    created_at timestamptz not null default now(),
    retired_at timestamptz
);
create unique index data_key_key on data_key (tenant_id, version) nulls not distinct;
alter table data_key enable row level security;
alter table data_key force row level security;
create policy tenant_isolation on data_key
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);
