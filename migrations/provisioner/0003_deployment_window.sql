-- The sites service's fleet summary (GetFleetSummary) counts the deployments created
-- since a point in time per status, and lists the latest failed ones, for one tenant
-- or for all. Without these indexes every such count reads the whole table.
--
-- Counting: range scans by creation time, status carried in the index, so the count
-- is answered from the index alone (tenant scope: one tenant's range; platform
-- scope: every tenant's, which needs its own index as there is no skip scan).
create index deployment_window on deployment (tenant_id, create_time) include (status);
create index deployment_window_all on deployment (create_time) include (status);
-- Listing failures: newest first, stopping after the limit. Failures are few, so
-- these partial indexes stay small.
create index deployment_failed on deployment (tenant_id, create_time desc, id desc) where status = 'failed';
create index deployment_failed_all on deployment (create_time desc, id desc) where status = 'failed';
-- None of these makes an update of a deployment non-HOT that was HOT before: their
-- columns never change after insert except status, which deployment_unapplied's
-- predicate already reads. Log appends (last_event_seq) stay HOT.
