-- Connection leases: the site's signing keys (kept where the hub role runs) and lease revocations (on the hub,
-- and on appliances for revocations made there while the hub could not be reached).

CREATE TABLE lease_signing_keys (
  kid text PRIMARY KEY,
  algorithm text NOT NULL CHECK (algorithm IN ('Ed25519')),
  -- base64url of the raw public key
  public_key text NOT NULL,
  -- AES-GCM under the key in <data-dir>/secrets/directory.key: base64(nonce || ciphertext || tag)
  private_key_enc text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- set when a newer key took over; the key keeps verifying until verify_until
  retired_at timestamptz,
  verify_until timestamptz
);
-- At most one active key.
CREATE UNIQUE INDEX lease_signing_keys_active ON lease_signing_keys ((true)) WHERE retired_at IS NULL;

CREATE TABLE lease_revocations (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('user', 'device', 'lease')),
  -- a user id, a device key thumbprint or a lease id
  subject text NOT NULL,
  -- narrows a device revocation to one user's leases (sign-out); NULL: every user of that device
  user_id text,
  -- leases issued before this instant are void (a lease revocation voids its lease whenever it was issued)
  revoked_at timestamptz NOT NULL,
  reason text NOT NULL DEFAULT '',
  created_by text NOT NULL,
  -- on an appliance with a separate hub: whether the hub has it yet
  forwarded boolean NOT NULL DEFAULT true
);
CREATE INDEX lease_revocations_revoked_at ON lease_revocations (revoked_at);
CREATE INDEX lease_revocations_unforwarded ON lease_revocations (revoked_at) WHERE NOT forwarded;
