-- Strong sign-in: second factors (TOTP) of local accounts with their recovery codes, the group policy "a second
-- factor is required", service accounts, and API tokens (personal and of service accounts).

-- One row per account that enrolled, or began to enrol, an authenticator app. The secrets are sealed with the
-- key for stored secrets (db/StoredSecretsKey, AES-256-GCM; associated data: purpose and user id).
CREATE TABLE user_factors (
  user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  -- changes with every confirmed enrolment, so that remembered devices of an earlier one no longer count
  factor_id uuid,
  totp_secret_enc text,
  confirmed_at timestamptz,
  -- hex SHA-256 of each unused recovery code; a code is removed when it is used
  recovery_hashes text[] NOT NULL DEFAULT '{}',
  -- a secret shown to the user and not yet confirmed with a first code
  proposed_secret_enc text,
  proposed_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((factor_id IS NULL) = (totp_secret_enc IS NULL))
);
-- appliances keep a copy of the accounts with their factors in the local host cache: a change is a new version
CREATE TRIGGER user_factors_changed AFTER INSERT OR UPDATE OR DELETE ON user_factors
  FOR EACH STATEMENT EXECUTE FUNCTION bump_site_model_version();

ALTER TABLE groups ADD COLUMN mfa_required boolean NOT NULL DEFAULT false;

-- A service account has no password and never signs in; it exists to own API tokens.
ALTER TABLE users ADD COLUMN service_account boolean NOT NULL DEFAULT false;

-- Bearer tokens for the admin API, stored only as a hash. The owner is an account of the site (no foreign key: with
-- a separate hub, accounts live at the hub); a token acts with the owner's roles as they are now, cut to its scope.
CREATE TABLE api_tokens (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  owner_id uuid NOT NULL,
  owner_name text NOT NULL,
  scope text NOT NULL CHECK (scope IN ('read-only', 'session-admin', 'admin')),
  token_hash text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at timestamptz,
  revoked_by text
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_owner ON api_tokens (owner_id);
