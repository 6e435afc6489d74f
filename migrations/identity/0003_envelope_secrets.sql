-- TOTP secrets move onto the kit's envelope encryption (canopy_kit::secrets): sealed
-- under the user's tenant's data key (the platform's for platform users), bound to
-- their row and column. Rows sealed before this migration are marked 'legacy'; identity
-- re-seals them when it starts (a forward migration SQL cannot do: it needs the keys).

alter table users add column mfa_secrets_sealing text not null default 'legacy'
    check (mfa_secrets_sealing in ('legacy', 'envelope'));
alter table users alter column mfa_secrets_sealing set default 'envelope';

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
