-- Resource locations on the hub: connector tokens, enrolled appliance nodes, and pools per location.

CREATE TABLE locations (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE,
  created_by text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
-- The location an all-in-one appliance serves, and the default for pools.
INSERT INTO locations(id, name, created_by) VALUES ('00000000-0000-0000-0000-000000000001', 'default', 'system');

CREATE TABLE connector_tokens (
  id uuid PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  location_id uuid NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
  uses_left integer NOT NULL CHECK (uses_left >= 0),
  expires_at timestamptz NOT NULL,
  revoked boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE appliances (
  id uuid PRIMARY KEY,
  location_id uuid NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
  name text NOT NULL,
  certificate_sha256 text NOT NULL UNIQUE,
  site_ca_sha256 text NOT NULL,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  revoked boolean NOT NULL DEFAULT false
);

ALTER TABLE pools ADD COLUMN location text NOT NULL DEFAULT 'default'
  REFERENCES locations(name) ON UPDATE CASCADE ON DELETE RESTRICT;
CREATE TRIGGER locations_changed AFTER INSERT OR UPDATE OR DELETE ON locations
  FOR EACH STATEMENT EXECUTE FUNCTION bump_site_model_version();
