-- The key that seals the secrets this database stores (directories' bind passwords, lease signing keys), itself
-- sealed under a key derived from cluster.secret, so that every node that shares the database and the secret opens
-- it. One row; each node keeps a copy in <data-dir>/secrets/directory.key, which backups carry.
CREATE TABLE stored_secrets_key (
  one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
  -- AES-256-GCM under HMAC-SHA256(cluster.secret, "outpost/cluster/stored-secrets-key/v1"):
  -- base64(nonce || ciphertext || tag) of the base64 key
  sealed_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
