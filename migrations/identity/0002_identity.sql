-- Identity's tables. Migrations run with search_path = identity.
--
-- Tenancy: tables with a tenant_id carry row-level security, enabled and forced, with
-- the project's standard policy. Here tenant_id is NULL for platform users, platform
-- API keys and their events; NULL never equals the transaction's tenant, so those rows
-- are visible (and insertable) only in the platform scope — exactly what the standard
-- policy already says, which is why it is used unchanged.
--
-- Keys: the house rule of composite keys (tenant_id, id) cannot hold here, because a
-- primary key column cannot be NULL and platform rows have no tenant. Rows are keyed
-- by id alone. Child tables repeat tenant_id and carry two foreign keys: (user_id) for
-- existence and cascade, and (user_id, tenant_id) → users (id, tenant_id), which
-- PostgreSQL checks whenever tenant_id is not null, so a tenant's row can never point
-- at another tenant's user (foreign key checks bypass RLS, so RLS alone would not stop it).
--
-- Times are written by the service from its injected clock (so tests can move time),
-- not by triggers.

create table users (
    id uuid primary key,
    tenant_id uuid,
    email text not null,
    display_name text not null,
    role text not null,
    status text not null,
    -- Argon2id PHC string; NULL until an invited user sets a password.
    password_hash text,
    mfa_enabled boolean not null default false,
    -- TOTP secrets, AES-256-GCM under the KEK with the user id as associated data.
    mfa_secret_sealed bytea,
    mfa_pending_secret_sealed bytea,
    -- Last accepted TOTP time step: only a later one is accepted (no code twice).
    mfa_last_step bigint,
    consecutive_failures integer not null default 0,
    lock_count integer not null default 0,
    locked_until timestamptz,
    failure_window_start timestamptz,
    failures_in_window integer not null default 0,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    last_login_at timestamptz,
    constraint users_role_known check (role in ('platform_admin', 'platform_operator', 'owner', 'member', 'viewer')),
    constraint users_status_known check (status in ('invited', 'active', 'disabled')),
    -- Platform roles for platform users (no tenant), customer roles for tenant users.
    constraint users_role_fits_tenant check (
        (tenant_id is null) = (role in ('platform_admin', 'platform_operator'))),
    constraint users_active_has_password check (status <> 'active' or password_hash is not null),
    constraint users_mfa_has_secret check (not mfa_enabled or mfa_secret_sealed is not null)
);
-- Target of the children's (user_id, tenant_id) foreign keys.
alter table users add constraint users_id_tenant_key unique (id, tenant_id);
-- Email is unique across all tenants, case-insensitively: sign-in names only an email.
create unique index users_email_key on users (lower(email));
create index users_tenant_newest on users (tenant_id, created_at desc, id desc);
create index users_newest on users (created_at desc, id desc);
alter table users enable row level security;
alter table users force row level security;
create policy tenant_isolation on users
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- Ten per user while MFA is on; SHA-256 of the normalised 80-bit code.
create table recovery_code (
    id uuid primary key,
    tenant_id uuid,
    user_id uuid not null references users (id) on delete cascade,
    code_hash bytea not null,
    used_at timestamptz,
    created_at timestamptz not null,
    foreign key (user_id, tenant_id) references users (id, tenant_id) on delete cascade
);
create unique index recovery_code_user_hash on recovery_code (user_id, code_hash);
alter table recovery_code enable row level security;
alter table recovery_code force row level security;
create policy tenant_isolation on recovery_code
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- Invitation and password-reset tokens: SHA-256 of the 256-bit token, single use.
create table password_token (
    id uuid primary key,
    tenant_id uuid,
    user_id uuid not null references users (id) on delete cascade,
    purpose text not null,
    token_hash bytea not null,
    expires_at timestamptz not null,
    used_at timestamptz,
    created_at timestamptz not null,
    foreign key (user_id, tenant_id) references users (id, tenant_id) on delete cascade,
    constraint password_token_purpose_known check (purpose in ('invitation', 'reset'))
);
create unique index password_token_hash_key on password_token (token_hash);
create index password_token_user on password_token (user_id);
alter table password_token enable row level security;
alter table password_token force row level security;
create policy tenant_isolation on password_token
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- API keys: SHA-256 of the whole secret (~285 random bits) and its visible prefix.
create table api_key (
    id uuid primary key,
    tenant_id uuid,
    name text not null,
    prefix text not null,
    secret_hash bytea not null,
    role text not null,
    scopes text[] not null default '{}',
    created_by uuid,
    created_at timestamptz not null,
    expire_at timestamptz,
    revoked_at timestamptz,
    last_used_at timestamptz,
    constraint api_key_role_known check (role in ('platform_admin', 'platform_operator', 'owner', 'member', 'viewer')),
    constraint api_key_role_fits_tenant check (
        (tenant_id is null) = (role in ('platform_admin', 'platform_operator')))
);
create unique index api_key_secret_hash_key on api_key (secret_hash);
create index api_key_tenant_newest on api_key (tenant_id, created_at desc, id desc);
create index api_key_newest on api_key (created_at desc, id desc);
alter table api_key enable row level security;
alter table api_key force row level security;
create policy tenant_isolation on api_key
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- Security events for the audit service to come. Never a secret in details.
create table security_event (
    id uuid primary key,
    tenant_id uuid,
    occurred_at timestamptz not null,
    kind text not null,
    -- The user the event is about, when known (kept after the user is deleted).
    subject_user_id uuid,
    -- Who caused it: `user:<id>`, `apikey:<id>`, or `anonymous`.
    actor text not null,
    source_address text,
    details jsonb not null default '{}'
);
create index security_event_newest on security_event (occurred_at desc);
create index security_event_subject on security_event (subject_user_id, occurred_at desc);
alter table security_event enable row level security;
alter table security_event force row level security;
create policy tenant_isolation on security_event
    using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid);

-- Signing keys are the platform's, not a tenant's: no tenant_id, no RLS. The private
-- key is the Ed25519 seed sealed with AES-256-GCM under the KEK, kid as associated data.
-- A key is *next* (published, not yet signing: activated_at null), *active*, or
-- *retired* (retired_at set; published until its tokens have expired).
create table signing_key (
    kid text primary key,
    algorithm text not null,
    public_key bytea not null,
    private_key_sealed bytea not null,
    created_at timestamptz not null,
    activated_at timestamptz,
    retired_at timestamptz,
    constraint signing_key_algorithm_known check (algorithm = 'EdDSA'),
    constraint signing_key_public_key_length check (length(public_key) = 32),
    constraint signing_key_retired_after_active check (retired_at is null or activated_at is not null)
);
-- At most one active and one next key; replicas starting together cannot create two.
create unique index signing_key_one_active on signing_key ((retired_at is null))
    where retired_at is null and activated_at is not null;
create unique index signing_key_one_next on signing_key ((activated_at is null)) where activated_at is null;
