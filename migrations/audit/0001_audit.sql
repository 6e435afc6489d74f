-- The audit trail: one hash chain per customer and one for the platform (chain
-- `platform`, tenant_id null), signed checkpoints, and the SIEM endpoints that receive
-- every entry. Tenant rows are under the usual forced RLS: a customer's owners read
-- their own chain; the platform scope (the kit's platform_scope policy) reads all.

-- Entries. `body` is the canonical JSON that was hashed, kept verbatim; the columns
-- beside it are derived from it for filtering (verification checks they agree).
create table entry (
    position bigint generated always as identity primary key,
    id uuid not null unique,
    chain text not null,
    sequence bigint not null,
    tenant_id uuid,
    service text not null,
    kind text not null,
    action text not null,
    actor_id text not null,
    outcome_code text not null,
    resource_ids text[] not null,
    occurred_at timestamptz not null,
    appended_at timestamptz not null,
    previous_hash text not null,
    hash text not null,
    body text not null,
    unique (chain, sequence)
);
create index entry_tenant_newest on entry (tenant_id, occurred_at desc, id desc);
create index entry_newest on entry (occurred_at desc, id desc);
create index entry_resources on entry using gin (resource_ids);
alter table entry enable row level security;
alter table entry force row level security;
create policy tenant_isolation on entry
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- Each chain's newest entry; its row lock serialises appends to the chain.
create table chain_head (
    chain text primary key,
    tenant_id uuid,
    sequence bigint not null,
    hash text not null
);
alter table chain_head enable row level security;
alter table chain_head force row level security;
create policy tenant_isolation on chain_head
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- Signed checkpoints. `signed_at` is kept as the exact text that was signed.
create table checkpoint (
    chain text not null,
    tree_size bigint not null,
    tenant_id uuid,
    head_hash text not null,
    signed_at text not null,
    signature text not null,
    primary key (chain, tree_size)
);
alter table checkpoint enable row level security;
alter table checkpoint force row level security;
create policy tenant_isolation on checkpoint
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- SIEM endpoints are the platform's (no tenant): reached only by platform admins'
-- RPCs and the delivery job. `cursor` is the last entry position handed to deliveries.
create table siem_endpoint (
    id uuid primary key,
    idempotency_key text not null unique,
    url text not null,
    description text not null,
    -- Known gap until the secrets issue: the signing secret is stored in the clear.
    secret text not null,
    cursor bigint not null,
    created_at timestamptz not null
);

-- One row per entry per endpoint until delivered; `webhook-id` is `msg_<entry id>`
-- on every attempt.
create table siem_delivery (
    endpoint_id uuid not null references siem_endpoint (id) on delete cascade,
    entry_position bigint not null,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null,
    last_error text,
    delivered_at timestamptz,
    primary key (endpoint_id, entry_position)
);
create index siem_delivery_due on siem_delivery (next_attempt_at) where delivered_at is null;
