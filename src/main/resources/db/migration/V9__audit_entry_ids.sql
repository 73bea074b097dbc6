-- Audit entries that waited in a node's spool while the database was down are written later, perhaps twice (a
-- crash between the insert and the spool's clean-up): each carries an id of its own, kept unique, so one row stays.
ALTER TABLE audit_log ADD COLUMN entry_id uuid NOT NULL DEFAULT gen_random_uuid();
CREATE UNIQUE INDEX audit_log_entry_id ON audit_log (entry_id);
