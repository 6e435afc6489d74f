-- Customers (tenants), their plans and quotas, branding, and the mail outbox.
-- Every tenant-owned table: tenant_id not null, keys led by tenant_id, row level
-- security enabled and forced with the standard policy (see services/kit/src/db/scope.rs).

create table plan (
    plan_id text primary key check (plan_id ~ '^[a-z][a-z0-9-]{0,39}$'),
    display_name text not null,
    max_sites integer not null check (max_sites >= 0),
    max_deployments_per_month integer not null check (max_deployments_per_month >= 0),
    allowed_providers text[] not null default '{}',
    allowed_regions text[] not null default '{}',
    rate_tier text not null check (rate_tier in ('standard', 'premium'))
);

insert into plan values
    ('standard', 'Standard', 5, 100, '{}', '{}', 'standard'),
    ('premium', 'Premium', 50, 1000, '{}', '{}', 'premium'),
    ('custom', 'Custom', 0, 0, '{}', '{}', 'standard');

create table customer (
    tenant_id uuid primary key,
    name text not null check (char_length(name) between 1 and 100),
    status text not null check (status in ('creating', 'active', 'suspended', 'deactivated')),
    status_reason text not null default '',
    plan_id text not null references plan (plan_id),
    -- Overrides: null inherits the plan.
    override_max_sites integer check (override_max_sites >= 0),
    override_max_deployments_per_month integer check (override_max_deployments_per_month >= 0),
    override_allowed_providers text[],
    override_allowed_regions text[],
    override_rate_tier text check (override_rate_tier in ('standard', 'premium')),
    owner_user_id uuid,
    idempotency_key text not null unique,
    create_time timestamptz not null default now(),
    update_time timestamptz not null default now()
);
create index customer_list on customer (create_time desc, tenant_id);
create index customer_name_search on customer (lower(name) text_pattern_ops);

create table customer_status_change (
    tenant_id uuid not null references customer (tenant_id) on delete cascade,
    id uuid not null,
    from_status text not null,
    to_status text not null,
    reason text not null default '',
    changed_by text not null,
    change_time timestamptz not null default now(),
    primary key (tenant_id, id)
);

create table branding (
    tenant_id uuid primary key references customer (tenant_id) on delete cascade,
    product_name text not null default '',
    primary_color text not null default '',
    secondary_color text not null default '',
    accent_color text not null default '',
    custom_domain text,
    custom_domain_verified boolean not null default false,
    domain_verification_token text not null default '',
    support_email text not null default '',
    mail_sender_name text not null default '',
    theme_variables jsonb not null default '{}',
    update_time timestamptz not null default now()
);
-- A domain belongs to one customer, case-insensitively.
create unique index branding_domain on branding (lower(custom_domain)) where custom_domain is not null;

create table branding_asset (
    tenant_id uuid not null references customer (tenant_id) on delete cascade,
    kind text not null check (kind in ('logo', 'favicon')),
    content_type text not null,
    data bytea not null,
    update_time timestamptz not null default now(),
    primary key (tenant_id, kind)
);

create table site_usage (
    tenant_id uuid primary key references customer (tenant_id) on delete cascade,
    sites_used integer not null default 0 check (sites_used >= 0)
);

create table deployment_usage (
    tenant_id uuid not null references customer (tenant_id) on delete cascade,
    month date not null,
    deployments integer not null default 0 check (deployments >= 0),
    primary key (tenant_id, month)
);

-- One row per live reservation, so reserving twice with a key takes quota once.
create table quota_reservation (
    tenant_id uuid not null references customer (tenant_id) on delete cascade,
    resource text not null check (resource in ('site', 'deployment')),
    reservation_key text not null,
    month date,
    create_time timestamptz not null default now(),
    primary key (tenant_id, resource, reservation_key)
);

create table outbound_email (
    tenant_id uuid not null references customer (tenant_id) on delete cascade,
    id uuid not null,
    recipient text not null,
    subject text not null,
    body text not null,
    attempts integer not null default 0,
    last_error text not null default '',
    sent_time timestamptz,
    next_attempt_time timestamptz not null default now(),
    create_time timestamptz not null default now(),
    primary key (tenant_id, id)
);
create index outbound_email_due on outbound_email (next_attempt_time) where sent_time is null;

do $$
declare
    t text;
begin
    foreach t in array array['customer', 'customer_status_change', 'branding', 'branding_asset', 'site_usage',
                             'deployment_usage', 'quota_reservation', 'outbound_email'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format($p$create policy tenant_isolation on %I
            using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
            with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)$p$, t);
    end loop;
end
$$;
