-- The store's favourites and categories.
--
-- Each user's favourite resources in the store, kept where the site model is so that they follow the user from
-- device to device (PUT/DELETE /api/v1/favourites/{resource}). No foreign key on the user: users of a directory
-- have no row in users. A deleted resource takes its favourites with it.
CREATE TABLE favourites (
  user_id uuid NOT NULL,
  resource_id uuid NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, resource_id)
);
CREATE INDEX favourites_resource ON favourites (resource_id);

-- A resource's category, which the store groups and filters by ("Office", "Engineering"); empty: none.
ALTER TABLE resources ADD COLUMN category text NOT NULL DEFAULT '';
