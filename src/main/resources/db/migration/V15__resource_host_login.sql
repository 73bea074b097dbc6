-- The account on the session host that the site's SSH user CA signs certificates for (browser terminal);
-- empty: the user gives the host login and its password or key.
ALTER TABLE resources ADD COLUMN host_login text NOT NULL DEFAULT '';
