-- Per-pool policy: browser terminals of the pool's resources are recorded (asciicast v2) by the appliance that
-- carries them.
ALTER TABLE pools ADD COLUMN record_sessions boolean NOT NULL DEFAULT false;
