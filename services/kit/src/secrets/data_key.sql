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
