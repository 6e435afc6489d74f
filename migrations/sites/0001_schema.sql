-- The sites schema is created (owned by the owner role) by the kit before this runs.
-- Its tables arrive with the sites domain API; this first migration only records the
-- schema's baseline so later migrations apply in order from here.
select 1;
