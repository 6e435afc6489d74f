-- Each write of a log event gets its own id, so a watcher resuming after seq N can
-- tell whether the event stored at N is still the one it holds. It is not if a
-- confirmed commit was lost or a failover went to a replica that was behind, and the
-- retried attempt wrote different lines under the same numbers. Existing rows get
-- ids of their own (the column's default), which they keep from now on.
alter table deployment_event add column id uuid not null default gen_random_uuid();
