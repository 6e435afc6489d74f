-- The policy service: policies (the platform's, tenant_id null, and customers'), the
-- checks made on deployments' plans before apply, and each site's compliance with the
-- policies in scope. Rows that can belong to a customer carry tenant_id under the
-- usual forced RLS; platform policies are reached in the platform scope only (the
-- kit's platform_scope policy), so a customer's transactions never see their Rego.

create table policy (
    id uuid primary key,
    tenant_id uuid,
    name text not null,
    description text not null,
    kind text not null check (kind in ('resource_limits', 'security', 'cost', 'custom')),
    enforcement text not null check (enforcement in ('advisory', 'soft_mandatory', 'hard_mandatory')),
    -- Customer policies are never hard-mandatory.
    check (tenant_id is null or enforcement <> 'hard_mandatory'),
    scope_customer_id uuid,
    scope_site_id uuid,
    scope_labels jsonb not null default '{}',
    enabled boolean not null,
    -- The canopy.policy.v1.PolicySpec as accepted, so it reads back as written.
    spec bytea not null,
    -- The module evaluated (generated for the built-in kinds) and its package path.
    rego text not null,
    package text not null,
    revision bigint not null default 1,
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create unique index policy_platform_name on policy (name) where tenant_id is null;
create unique index policy_customer_name on policy (tenant_id, name) where tenant_id is not null;
alter table policy enable row level security;
alter table policy force row level security;
create policy tenant_isolation on policy
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- One per deployment: the decisions on its plan and, for a soft-mandatory failure,
-- the override or discard. A retried attempt reads the check already made.
create table policy_check (
    tenant_id uuid not null,
    id uuid not null,
    site_id uuid not null,
    deployment_id uuid not null,
    state text not null check (state in ('passed', 'advisory_failed', 'awaiting_override', 'overridden',
                                         'discarded', 'expired', 'refused')),
    -- [{policy_id, policy_name, tier, enforcement, deny[], warn[], error}]
    decisions jsonb not null,
    -- The policy input document the decisions were made on.
    input jsonb not null,
    created_at timestamptz not null,
    expires_at timestamptz,
    resolved_by text not null default '',
    resolution_reason text not null default '',
    resolved_at timestamptz,
    primary key (tenant_id, id)
);
create unique index policy_check_deployment on policy_check (tenant_id, deployment_id);
create index policy_check_recent on policy_check (tenant_id, created_at desc, id desc);
create index policy_check_recent_all on policy_check (created_at desc, id desc);
create index policy_check_waiting on policy_check (expires_at) where state = 'awaiting_override';
alter table policy_check enable row level security;
alter table policy_check force row level security;
create policy tenant_isolation on policy_check
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- Each site's configuration as last allowed to apply (the input of its latest check
-- that passed or was overridden), evaluated against the policies in scope. `stale`
-- marks it for the compliance job after a policy changed.
create table site_compliance (
    tenant_id uuid not null,
    site_id uuid not null,
    deployment_id uuid not null,
    input jsonb not null,
    decisions jsonb not null,
    compliant boolean not null,
    evaluated_at timestamptz not null,
    stale boolean not null default false,
    primary key (tenant_id, site_id)
);
create index site_compliance_stale on site_compliance (tenant_id, site_id) where stale;
alter table site_compliance enable row level security;
alter table site_compliance force row level security;
create policy tenant_isolation on site_compliance
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- The failing results of site_compliance, one row per (site, policy), for listing
-- and filtering violations across customers.
create table violation (
    tenant_id uuid not null,
    site_id uuid not null,
    policy_id uuid not null,
    enforcement text not null,
    decision jsonb not null,
    evaluated_at timestamptz not null,
    primary key (tenant_id, site_id, policy_id)
);
create index violation_recent on violation (tenant_id, evaluated_at desc, site_id, policy_id);
create index violation_recent_all on violation (evaluated_at desc, tenant_id, site_id, policy_id);
create index violation_policy on violation (policy_id);
alter table violation enable row level security;
alter table violation force row level security;
create policy tenant_isolation on violation
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);
