-- Email receivers (their addresses), and pages to people: a delivery is either to a
-- receiver or, for a page to a user (directly or as whoever is on call), to that
-- user, whose address is looked up in identity when the delivery is attempted.
alter table receiver drop constraint receiver_kind_check;
alter table receiver add constraint receiver_kind_check check (kind in ('slack', 'webhook', 'escalation', 'email'));
alter table receiver add column email_addresses text[];

alter table delivery alter column receiver_id drop not null;
alter table delivery add column user_id uuid;
alter table delivery add constraint delivery_one_target check ((receiver_id is null) <> (user_id is null));
create unique index delivery_user_message on delivery (user_id, webhook_id) where user_id is not null;
