-- Notification mail from other services (NotificationMailService) joins the outbox.
-- Platform mail belongs to no customer, so tenant_id becomes optional (such rows are
-- invisible to every tenant scope and seen by the platform role), and the primary key
-- is the id alone. A caller's retried request must not queue a message twice: its
-- dedup key is unique per recipient.
alter table outbound_email drop constraint outbound_email_pkey;
alter table outbound_email alter column tenant_id drop not null;
alter table outbound_email add primary key (id);
create index outbound_email_tenant on outbound_email (tenant_id);
alter table outbound_email add column dedup_key text;
create unique index outbound_email_dedup on outbound_email (dedup_key, recipient) where dedup_key is not null;
