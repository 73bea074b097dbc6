-- Session history as admins read it back (GET /admin/api/v1/sessions?state=ended): each row keeps the names of
-- its resource, host and pool and its end reason as they were, so that it still reads right once those are
-- renamed or removed; indexes serve its filters, newest ended first.
ALTER TABLE session_history
  ADD COLUMN resource_name text,
  ADD COLUMN host_name text,
  ADD COLUMN pool_id uuid,
  ADD COLUMN pool_name text,
  ADD COLUMN end_reason text;

UPDATE session_history s SET resource_name = r.name, pool_id = r.pool_id FROM resources r WHERE r.id = s.resource_id;
UPDATE session_history s SET host_name = h.name FROM hosts h WHERE h.id = s.host_id;
UPDATE session_history s SET pool_name = p.name FROM pools p WHERE p.id = s.pool_id;

CREATE INDEX session_history_ended ON session_history (ended_at DESC, id DESC) WHERE ended_at IS NOT NULL;
CREATE INDEX session_history_username ON session_history (lower(username), ended_at DESC);
CREATE INDEX session_history_host ON session_history (host_id, ended_at DESC);
CREATE INDEX session_history_pool ON session_history (pool_id, ended_at DESC);
