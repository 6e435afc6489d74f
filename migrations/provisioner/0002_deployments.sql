-- Deployments, the queue of runs that carries them out, and their event logs.
-- Every table is tenant-owned: tenant_id not null, keys led by tenant_id, row level
-- security enabled and forced with the standard policy (see services/kit/src/db/scope.rs).
-- Workers claim across tenants in the platform scope; the sites service reads and
-- writes in its caller's tenant scope.

-- What a user sees: one row per site change (create, update, redeploy, delete).
create table deployment (
    tenant_id uuid not null,
    id uuid not null,
    site_id uuid not null,
    kind text not null check (kind in ('create', 'update', 'redeploy', 'delete')),
    status text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    provider text not null check (provider in ('aws', 'azure', 'gcp', 'digitalocean', 'akamai')),
    sandbox boolean not null,
    -- The template's inputs as terraform.tfvars.json (SiteVariables::to_tfvars_json).
    variables jsonb not null,
    error text not null default '',
    outputs jsonb not null default '{}',
    cancel_requested boolean not null default false,
    -- Set by the sites service once it has copied the outcome onto its site.
    outcome_applied boolean not null default false,
    -- The last sequence number handed out to this deployment's events; bumping it under
    -- the row lock keeps sequence numbers dense and in commit order.
    last_event_seq bigint not null default 0 check (last_event_seq >= 0),
    create_time timestamptz not null default now(),
    start_time timestamptz,
    finish_time timestamptz,
    primary key (tenant_id, id)
);
create index deployment_site_history on deployment (tenant_id, site_id, create_time desc, id desc);
create index deployment_site on deployment (site_id);
create index deployment_unapplied on deployment (finish_time, tenant_id, id)
    where not outcome_applied and status in ('succeeded', 'failed', 'cancelled');

-- The queue: exactly one run per deployment (same id), holding the lease and retry state.
create table run (
    tenant_id uuid not null,
    id uuid not null,
    site_id uuid not null,
    state text not null check (state in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    -- Attempts started so far; a claim increments it.
    attempt integer not null default 0 check (attempt >= 0),
    next_attempt_time timestamptz not null default now(),
    lease_owner text not null default '',
    -- Incremented on every claim; every write of progress or result names the version it
    -- holds, so a worker whose lease was taken over writes nothing (fencing).
    lease_version bigint not null default 0 check (lease_version >= 0),
    lease_expires_time timestamptz,
    -- The Terraform state lock this run is known to hold, so a later attempt force-unlocks
    -- that lock and no other.
    state_lock_id text not null default '',
    primary key (tenant_id, id),
    foreign key (tenant_id, id) references deployment (tenant_id, id) on delete cascade,
    check ((state = 'running') = (lease_expires_time is not null))
);
-- One active run per site: a second enqueue for a busy site conflicts here, whatever the
-- interleaving of concurrent transactions.
create unique index run_one_active_per_site on run (tenant_id, site_id) where state in ('queued', 'running');
create index run_due on run (next_attempt_time) where state = 'queued';
create index run_lease_expiry on run (lease_expires_time) where state = 'running';

-- Who ran each attempt, under which lease, and how it ended.
create table run_attempt (
    tenant_id uuid not null,
    run_id uuid not null,
    attempt integer not null,
    lease_version bigint not null,
    worker text not null,
    start_time timestamptz not null default now(),
    finish_time timestamptz,
    -- '' while running (or when the worker vanished); otherwise succeeded, failed,
    -- cancelled or retry.
    outcome text not null default '',
    primary key (tenant_id, run_id, attempt),
    foreign key (tenant_id, run_id) references run (tenant_id, id) on delete cascade
);

-- The deployment log: status changes and executor output, dense seq from 1.
create table deployment_event (
    tenant_id uuid not null,
    deployment_id uuid not null,
    seq bigint not null check (seq >= 1),
    time timestamptz not null default clock_timestamp(),
    kind text not null check (kind in ('status', 'log')),
    level text not null check (level in ('debug', 'info', 'warn', 'error')),
    message text not null,
    status text check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    primary key (tenant_id, deployment_id, seq),
    foreign key (tenant_id, deployment_id) references deployment (tenant_id, id) on delete cascade,
    check ((kind = 'status') = (status is not null))
);

do $$
declare
    t text;
begin
    foreach t in array array['deployment', 'run', 'run_attempt', 'deployment_event'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format($p$create policy tenant_isolation on %I
            using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
            with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)$p$, t);
    end loop;
end
$$;
