-- Certificates renewed over an existing link: the certificate a host or appliance held before its last renewal
-- stays accepted (until it expires; TLS checks that) while the new one is taken into use.
ALTER TABLE hosts ADD COLUMN previous_certificate_sha256 text UNIQUE;
ALTER TABLE hosts ADD COLUMN certificate_renewed_at timestamptz;
ALTER TABLE appliances ADD COLUMN previous_certificate_sha256 text UNIQUE;
ALTER TABLE appliances ADD COLUMN certificate_renewed_at timestamptz;
