-- Sign-ins that outlive a restart.
--
-- Every sign-in session (store and admin console cookies, the client's bearer tokens, sign-ins waiting for their
-- second factor) is kept here besides the cluster's session map, so that restarting a one-node site, or every node
-- of a site, signs nobody out. The key is the session store's key: the SHA-256 of the token (with a kind prefix),
-- never the token. The principal is sealed with the key for stored secrets (purpose 'sign-in-session/' || id). No
-- foreign key on the user: users of a directory have no row in users.
CREATE TABLE sign_in_sessions (
  id text PRIMARY KEY,
  user_id text NOT NULL,
  principal_enc text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX sign_in_sessions_user ON sign_in_sessions (user_id, created_at);
CREATE INDEX sign_in_sessions_expiry ON sign_in_sessions (expires_at);

-- Users whose sessions begun before revoked_before are void (account disabled, deleted, demoted, new password):
-- guards against a session row written late (spooled while the database was down) after its user was revoked.
CREATE TABLE sign_in_revocations (
  user_id text PRIMARY KEY,
  revoked_before timestamptz NOT NULL
);
