-- Brokering: a change counter for the site model, enrolled hosts, enrollment tokens and session history.

CREATE TABLE site_model_version (
  id integer PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL
);
INSERT INTO site_model_version VALUES (1, 1);

CREATE FUNCTION bump_site_model_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE site_model_version SET version = version + 1 WHERE id = 1;
  RETURN NULL;
END $$;

CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION bump_site_model_version();
CREATE TRIGGER groups_changed AFTER INSERT OR UPDATE OR DELETE ON groups
  FOR EACH STATEMENT EXECUTE FUNCTION bump_site_model_version();
CREATE TRIGGER group_members_changed AFTER INSERT OR UPDATE OR DELETE ON group_members
  FOR EACH STATEMENT EXECUTE FUNCTION bump_site_model_version();
CREATE TRIGGER pools_changed AFTER INSERT OR UPDATE OR DELETE ON pools
  FOR EACH STATEMENT EXECUTE FUNCTION bump_site_model_version();
CREATE TRIGGER resources_changed AFTER INSERT OR UPDATE OR DELETE ON resources
  FOR EACH STATEMENT EXECUTE FUNCTION bump_site_model_version();
CREATE TRIGGER entitlements_changed AFTER INSERT OR UPDATE OR DELETE ON entitlements
  FOR EACH STATEMENT EXECUTE FUNCTION bump_site_model_version();

CREATE TABLE enroll_tokens (
  id uuid PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  pool_id uuid NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
  uses_left integer NOT NULL CHECK (uses_left >= 0),
  expires_at timestamptz NOT NULL,
  revoked boolean NOT NULL DEFAULT false,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hosts (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  pool_id uuid NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
  address text NOT NULL,
  certificate_sha256 text NOT NULL UNIQUE,
  draining boolean NOT NULL DEFAULT false,
  maintenance boolean NOT NULL DEFAULT false,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  revoked boolean NOT NULL DEFAULT false
);
CREATE INDEX hosts_pool ON hosts (pool_id);

CREATE TABLE session_history (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  username text NOT NULL,
  resource_id uuid NOT NULL,
  host_id uuid NOT NULL,
  state text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  ended_at timestamptz
);
CREATE INDEX session_history_user ON session_history (user_id, created_at DESC);
CREATE INDEX session_history_open ON session_history (state) WHERE ended_at IS NULL;
