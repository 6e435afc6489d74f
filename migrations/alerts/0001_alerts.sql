-- The alerts service: receivers (the platform's, tenant_id null, and customers'),
-- the operator's routing configuration, silences, event rules, escalation policies
-- and schedules (platform-only tables, reached by platform principals and the jobs),
-- the events and alerts they produce, the dispatcher's stored state, incidents and
-- their pages, and deliveries. Rows that can belong to a customer carry tenant_id
-- under the usual forced RLS; the platform scope (the kit's platform_scope policy)
-- reads all of them.

create table receiver (
    id uuid primary key,
    tenant_id uuid,
    name text not null,
    kind text not null check (kind in ('slack', 'webhook', 'escalation')),
    -- Slack's incoming webhook URL is itself a credential; like the webhook secret it
    -- is stored in the clear until the secrets issue (a known gap, as audit's SIEM).
    url text,
    escalation_policy_id uuid,
    secret text,
    send_resolved boolean not null,
    created_at timestamptz not null
);
create unique index receiver_platform_name on receiver (name) where tenant_id is null;
create unique index receiver_customer_name on receiver (tenant_id, name) where tenant_id is not null;
alter table receiver enable row level security;
alter table receiver force row level security;
create policy tenant_isolation on receiver
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- The one routing configuration, as the encoded canopy.alerts.v1.RoutingConfig it
-- was accepted as (so it reads back exactly as written).
create table routing_config (
    singleton boolean primary key default true check (singleton),
    config bytea not null,
    updated_at timestamptz not null
);

create table silence (
    id uuid primary key,
    matchers text[] not null,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    created_by text not null,
    comment text not null,
    created_at timestamptz not null
);
create index silence_ends on silence (ends_at);

-- Escalation policies, schedules and event rules, each as its encoded protobuf.
create table escalation_policy (
    id uuid primary key,
    name text not null unique,
    spec bytea not null,
    created_at timestamptz not null
);

create table schedule (
    id uuid primary key,
    name text not null unique,
    spec bytea not null,
    created_at timestamptz not null
);

create table event_rule (
    id uuid primary key,
    name text not null unique,
    event_kind text not null,
    spec bytea not null,
    created_at timestamptz not null
);

-- Events as published; the id is the publisher's, so a retried batch records nothing twice.
create table event (
    id uuid primary key,
    tenant_id uuid,
    kind text not null,
    labels jsonb not null,
    occurred_at timestamptz not null,
    received_at timestamptz not null
);
create index event_kind_time on event (kind, occurred_at);
alter table event enable row level security;
alter table event force row level security;
create policy tenant_isolation on event
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- Every alert as last reported, for listing; its id is the label fingerprint.
create table alert (
    fingerprint text primary key,
    tenant_id uuid,
    alertname text not null,
    labels jsonb not null,
    annotations jsonb not null,
    starts_at timestamptz not null,
    ends_at timestamptz,
    updated_at timestamptz not null
);
create index alert_tenant_newest on alert (tenant_id, starts_at desc, fingerprint desc);
create index alert_newest on alert (starts_at desc, fingerprint desc);
alter table alert enable row level security;
alter table alert force row level security;
create policy tenant_isolation on alert
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- Alert reports waiting for the dispatch job (the engine's Alert as JSON).
create table alert_inbox (
    position bigint generated always as identity primary key,
    alert jsonb not null,
    received_at timestamptz not null
);

-- The dispatchers' stored DispatchState: `platform` (the operator's tree) and
-- `customer` (customers' alerts grouped for their own receivers). The row lock
-- serialises dispatch passes across replicas.
create table dispatch_state (
    dispatcher text primary key,
    state jsonb not null,
    updated_at timestamptz not null
);

-- Incidents opened by escalation receivers; `state` is the engine's Incident.
create table incident (
    id uuid primary key,
    receiver_id uuid not null,
    group_key text not null,
    summary text not null,
    status text not null check (status in ('triggered', 'acknowledged', 'resolved')),
    state jsonb not null,
    next_page_at timestamptz,
    created_at timestamptz not null
);
create unique index incident_open_per_group on incident (receiver_id, group_key) where status <> 'resolved';
create index incident_due on incident (next_page_at) where next_page_at is not null;

create table page (
    id text primary key,
    incident_id uuid not null references incident (id) on delete cascade,
    step integer not null,
    pass integer not null,
    receiver text not null,
    user_id text not null,
    nobody_on_call_schedule text not null,
    paged_at timestamptz not null
);

-- One row per notification per receiver until delivered; `webhook_id` is the same
-- on every attempt.
create table delivery (
    id uuid primary key,
    tenant_id uuid,
    receiver_id uuid not null references receiver (id) on delete cascade,
    webhook_id text not null,
    body jsonb not null,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null,
    last_error text,
    delivered_at timestamptz,
    created_at timestamptz not null,
    unique (receiver_id, webhook_id)
);
create index delivery_due on delivery (next_attempt_at) where delivered_at is null;
alter table delivery enable row level security;
alter table delivery force row level security;
create policy tenant_isolation on delivery
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);
