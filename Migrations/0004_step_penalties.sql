-- 0004: a placeholder on the data-formats branch only, named as the interventions branch names its 0004 so that
-- merging both is a conflict on this file, not two migrations 0004: take the interventions branch's file.
-- Migrations must run 1, 2, 3, ... without gaps, and this branch's own migration is 0005.
SELECT 1;
