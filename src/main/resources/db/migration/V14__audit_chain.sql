-- Tamper-evident audit log. Every entry carries its position in one chain and the hash of the entry before it:
--   hash = SHA-256(prev_hash || SHA-256(canonical form of the entry)), the first entry's prev_hash 32 zero bytes.
-- Appends are serialised by the single row of audit_chain_head, updated in the transaction that appends, so that
-- nodes sharing this database never fork the chain. Entries from before this version are chained by the first node
-- that starts with it (legacy_chained), in id order.
ALTER TABLE audit_log ADD COLUMN seq bigint, ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);

CREATE TABLE audit_chain_head (
  one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
  -- position and hash of the newest entry (0 and zero bytes while the chain is empty)
  seq bigint NOT NULL,
  hash bytea NOT NULL,
  -- the hash before the newest entry: what the append that moved the head hands to its entry as prev_hash
  prev_hash bytea NOT NULL,
  -- whether the entries from before this version are chained, and at which position the first of them is
  legacy_chained boolean NOT NULL DEFAULT false,
  legacy_first bigint
);
INSERT INTO audit_chain_head(seq, hash, prev_hash)
  VALUES (0, decode(repeat('00', 32), 'hex'), decode(repeat('00', 32), 'hex'));

-- The site's keys for signing checkpoints of the chain (Ed25519), private keys sealed like the lease signing keys.
CREATE TABLE audit_signing_keys (
  kid text PRIMARY KEY,
  algorithm text NOT NULL CHECK (algorithm IN ('Ed25519')),
  -- base64url of the raw public key
  public_key text NOT NULL,
  -- AES-GCM under the key for stored secrets: base64(nonce || ciphertext || tag)
  private_key_enc text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
CREATE UNIQUE INDEX audit_signing_keys_active ON audit_signing_keys ((true)) WHERE retired_at IS NULL;

-- Signed statements "the chain had this hash at this position at this time".
CREATE TABLE audit_checkpoints (
  seq bigint PRIMARY KEY,
  hash bytea NOT NULL,
  signed_at timestamptz NOT NULL,
  kid text NOT NULL,
  signature bytea NOT NULL,
  node text NOT NULL DEFAULT ''
);

-- How far each export has delivered the chain (by position), so that a restart or a collector outage loses nothing.
CREATE TABLE audit_export_cursors (
  name text PRIMARY KEY,
  seq bigint NOT NULL DEFAULT 0,
  delivered_at timestamptz
);
