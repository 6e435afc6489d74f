-- Sites and the idempotency keys of site changes. Deployments and their events
-- live in the provisioner schema, written through the provisioner crate inside the
-- same transaction as the site change.

create table site (
    tenant_id uuid not null,
    id uuid not null,
    name text not null check (name ~ '^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$'),
    provider text not null check (provider in ('aws', 'azure', 'gcp', 'digitalocean', 'akamai')),
    region text not null,
    size text not null check (size in ('small', 'medium', 'large')),
    database_enabled boolean not null default false,
    storage_enabled boolean not null default false,
    runtime jsonb not null,
    labels jsonb not null default '{}',
    status text not null check (status in ('pending', 'provisioning', 'active', 'updating', 'failed', 'deleting', 'deleted')),
    sandbox boolean not null,
    outputs jsonb not null default '{}',
    active_deployment_id uuid,
    create_time timestamptz not null default now(),
    update_time timestamptz not null default now(),
    delete_time timestamptz,
    primary key (tenant_id, id)
);
-- Names are unique per customer among sites that are not deleted.
create unique index site_live_name on site (tenant_id, name) where status <> 'deleted';
create index site_list on site (tenant_id, create_time desc, id desc);
create index site_list_all on site (create_time desc, id desc);
create index site_deleted on site (delete_time) where status = 'deleted';

create table site_change (
    tenant_id uuid not null,
    idempotency_key text not null,
    operation text not null,
    site_id uuid not null,
    deployment_id uuid,
    create_time timestamptz not null default now(),
    primary key (tenant_id, idempotency_key),
    foreign key (tenant_id, site_id) references site (tenant_id, id) on delete cascade
);

do $$
declare
    t text;
begin
    foreach t in array array['site', 'site_change'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format($p$create policy tenant_isolation on %I
            using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
            with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)$p$, t);
    end loop;
end
$$;
