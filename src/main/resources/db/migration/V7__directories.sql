-- Directory identity: LDAP/AD directories per resource location (hub side), entitlements to directory
-- groups, and the offline sign-in verifiers that only appliances keep.

CREATE TABLE directories (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  location text NOT NULL DEFAULT 'default' REFERENCES locations(name) ON UPDATE CASCADE ON DELETE RESTRICT,
  kind text NOT NULL CHECK (kind IN ('openldap', 'ad')),
  urls text[] NOT NULL,
  tls text NOT NULL CHECK (tls IN ('starttls', 'ldaps', 'none')),
  ca_certificate text,
  bind_dn text NOT NULL,
  -- AES-GCM under the key in <data-dir>/secrets/directory.key: base64(nonce || ciphertext || tag)
  bind_secret_enc text NOT NULL,
  user_base text NOT NULL,
  -- NULL: the kind's default
  user_filter text,
  login_attributes text[],
  display_name_attribute text,
  group_base text,
  group_filter text,
  group_membership text CHECK (group_membership IN ('memberOf', 'member', 'uniqueMember')),
  nested_groups boolean,
  priority integer NOT NULL DEFAULT 100,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX directories_name ON directories (lower(name));
CREATE INDEX directories_location ON directories (location);

-- An entitlement names exactly one of: a local user, a local group, a directory group (normalised DN).
ALTER TABLE entitlements ADD COLUMN directory_group text;
ALTER TABLE entitlements DROP CONSTRAINT entitlements_check;
ALTER TABLE entitlements ADD CONSTRAINT entitlements_one_subject
  CHECK (num_nonnulls(user_id, group_id, directory_group) = 1);
CREATE UNIQUE INDEX entitlements_directory_group ON entitlements (resource_id, directory_group)
  WHERE directory_group IS NOT NULL;

-- Kept by appliances only: a salted argon2id verifier of a directory user's last good password, the
-- identity and groups resolved then, for sign-in while the directory cannot be reached.
CREATE TABLE directory_credentials (
  directory_id uuid NOT NULL,
  login text NOT NULL,
  user_id uuid NOT NULL,
  username text NOT NULL,
  display_name text NOT NULL DEFAULT '',
  user_dn text NOT NULL,
  groups text[] NOT NULL DEFAULT '{}',
  verifier text NOT NULL,
  verified_at timestamptz NOT NULL,
  PRIMARY KEY (directory_id, login)
);
CREATE INDEX directory_credentials_login ON directory_credentials (login);
