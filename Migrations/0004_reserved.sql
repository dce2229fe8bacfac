-- 0004: a placeholder on the data-formats branch only, so the migrations run 1, 2, 3, ... without gaps while
-- 0004 belongs to the interventions branch. Drop this file when merging: that branch's 0004 takes its place.
SELECT 1;
