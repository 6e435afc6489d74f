-- The W3C trace context of the call that enqueued a deployment, so the worker that
-- runs it (in whichever process) logs under the same trace as the request.
alter table deployment add column traceparent text not null default '';
