-- GetFleetSummary counts the sites that are not deleted per status. Under a tenant
-- scope this index answers it for one tenant (a range of it); under the platform
-- scope the whole index is read instead of the table, so the count costs the
-- index's few bytes a site rather than each row's jsonb columns. Status changes
-- already break HOT updates (site_live_name's predicate reads status), so this
-- index costs updates nothing new.
create index site_live_status on site (tenant_id, status) where status <> 'deleted';
