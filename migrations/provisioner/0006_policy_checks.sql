-- Policy checks before apply (the policy service): a run whose plan failed a
-- soft-mandatory policy waits in 'awaiting_override' until someone allowed overrides
-- (back to 'running') or discards it ('cancelled'). The policy input also needs the
-- site's labels and who started the deployment, recorded when it is enqueued.
alter table deployment drop constraint deployment_status_check;
alter table deployment add constraint deployment_status_check
    check (status in ('queued', 'running', 'awaiting_override', 'succeeded', 'failed', 'cancelled'));
alter table deployment_event drop constraint deployment_event_status_check;
alter table deployment_event add constraint deployment_event_status_check
    check (status in ('queued', 'running', 'awaiting_override', 'succeeded', 'failed', 'cancelled'));
alter table deployment add column labels jsonb not null default '{}';
-- {"kind": "user" | "api_key" | "workload", "id": ..., "role": ...}; '{}' when unknown.
alter table deployment add column started_by jsonb not null default '{}';
