-- Runs once, when the PostgreSQL volume of docker/compose.site.yaml is created: the hub keeps its own database
-- next to the site's (POSTGRES_DB, outpost_site), owned by the same role.
CREATE DATABASE outpost_hub OWNER outpost;
