-- The cost service: estimates made on deployments' plans, cost records collected from
-- the clouds (and simulated for sandbox sites), their rollups, budgets, and the
-- collection runs. Customer rows carry tenant_id under the usual forced RLS; records
-- no customer's site claims have tenant_id null and are reached in the platform scope
-- only (the kit's platform_scope policy), like the policy service's platform policies.

-- What the cost service knows of each site, from its plans: labels for reports, and
-- what the sandbox collector simulates.
create table site (
    tenant_id uuid not null,
    site_id uuid not null,
    name text not null,
    provider text not null,
    region text not null,
    first_seen date not null,
    -- The last plan deleted the site: nothing more accrues.
    deleted boolean not null default false,
    primary key (tenant_id, site_id)
);
alter table site enable row level security;
alter table site force row level security;
create policy tenant_isolation on site
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- One per deployment: its plan priced before apply. A retried attempt replaces it.
create table estimate (
    tenant_id uuid not null,
    deployment_id uuid not null,
    site_id uuid not null,
    currency text not null,
    monthly_micros bigint not null,
    hourly_micros bigint not null,
    -- [{address, resource_type, description, monthly_micros, hourly_micros, assumption}]
    lines jsonb not null,
    snapshot_date date not null,
    snapshot_stale boolean not null,
    free_resources integer not null,
    unpriced_resource_types text[] not null,
    customer_monthly_micros bigint not null,
    -- The deployment ran in the sandbox: the site's costs are simulated from this.
    sandbox boolean not null,
    created_at timestamptz not null,
    primary key (tenant_id, deployment_id)
);
create index estimate_site_latest on estimate (tenant_id, site_id, created_at desc);
alter table estimate enable row level security;
alter table estimate force row level security;
create policy tenant_isolation on estimate
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- What a cloud charged (or the sandbox simulated), one row per account, resource,
-- day and source: re-collecting a restated day updates the row.
create table record (
    tenant_id uuid,
    site_id uuid,
    account text not null,
    provider text not null,
    resource_id text not null,
    service text not null,
    resource_type text not null check (resource_type in ('compute', 'database', 'load_balancer', 'storage',
                                                         'network', 'other')),
    region text not null,
    day date not null,
    granularity text not null check (granularity in ('daily', 'monthly')),
    source text not null check (source in ('accrued', 'invoiced')),
    amount_micros bigint not null,
    currency text not null,
    sandbox boolean not null,
    collected_at timestamptz not null,
    unique (account, resource_id, day, source)
);
create index record_day on record (day);
create index record_site on record (tenant_id, site_id, day);
alter table record enable row level security;
alter table record force row level security;
create policy tenant_isolation on record
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- Rollup of record per site and day (reporting currency only), rebuilt for the days a
-- collection run touched. Day reports and site pages read it.
create table site_day (
    tenant_id uuid,
    site_id uuid,
    day date not null,
    provider text not null,
    region text not null,
    resource_type text not null,
    source text not null,
    sandbox boolean not null,
    micros bigint not null
);
create unique index site_day_key on site_day (tenant_id, site_id, day, provider, region, resource_type, source, sandbox)
    nulls not distinct;
create index site_day_by_day on site_day (day);
alter table site_day enable row level security;
alter table site_day force row level security;
create policy tenant_isolation on site_day
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- Rollup of site_day per customer and month: month reports over long ranges (the
-- platform's year) read a few thousand rows instead of millions.
create table tenant_month (
    tenant_id uuid,
    month date not null,
    provider text not null,
    region text not null,
    resource_type text not null,
    source text not null,
    sandbox boolean not null,
    micros bigint not null
);
create unique index tenant_month_key on tenant_month (tenant_id, month, provider, region, resource_type, source, sandbox)
    nulls not distinct;
create index tenant_month_by_month on tenant_month (month);
alter table tenant_month enable row level security;
alter table tenant_month force row level security;
create policy tenant_isolation on tenant_month
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- Monthly budgets, with the state of the current month.
create table budget (
    tenant_id uuid not null,
    id uuid not null,
    name text not null,
    site_id uuid,
    currency text not null,
    amount_minor bigint not null check (amount_minor > 0),
    -- [{percent, basis}]
    thresholds jsonb not null,
    revision bigint not null default 1,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    status_month date,
    actual_micros bigint not null default 0,
    forecast_micros bigint,
    evaluated_at timestamptz,
    primary key (tenant_id, id),
    unique (tenant_id, name)
);
alter table budget enable row level security;
alter table budget force row level security;
create policy tenant_isolation on budget
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- A threshold that fired in a month: the key makes it fire once per month.
create table budget_fire (
    tenant_id uuid not null,
    budget_id uuid not null,
    month date not null,
    basis text not null check (basis in ('actual', 'forecast')),
    percent integer not null,
    fired_at timestamptz not null,
    observed_micros bigint not null,
    primary key (tenant_id, budget_id, month, basis, percent),
    foreign key (tenant_id, budget_id) references budget (tenant_id, id) on delete cascade
);
alter table budget_fire enable row level security;
alter table budget_fire force row level security;
create policy tenant_isolation on budget_fire
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- The platform's: each configured account's collection status.
create table account_status (
    account text primary key,
    status text not null check (status in ('ok', 'refused', 'throttled', 'failing')),
    message text not null default '',
    last_success_at timestamptz,
    last_attempt_at timestamptz not null
);

-- The durable queue of collection runs: one per account and range of days, claimed
-- with SKIP LOCKED under a lease, retried with backoff, throttling delays honoured.
create table collection_run (
    id uuid primary key,
    account text not null,
    start_date date not null,
    end_date date not null,
    state text not null check (state in ('queued', 'running', 'succeeded', 'failed')),
    attempts integer not null default 0,
    records_written bigint not null default 0,
    error text not null default '',
    created_at timestamptz not null,
    finished_at timestamptz,
    next_attempt_at timestamptz not null,
    lease_until timestamptz
);
create unique index collection_run_pending on collection_run (account, start_date, end_date)
    where state in ('queued', 'running');
create index collection_run_due on collection_run (next_attempt_at) where state in ('queued', 'running');
create index collection_run_recent on collection_run (created_at desc, id desc);
