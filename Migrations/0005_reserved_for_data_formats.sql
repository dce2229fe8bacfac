-- Placeholder so the config branch's 0006 has no gap on its own; the lead drops it at merge (the real 0005 comes
-- from another branch). Does nothing.
SELECT 1;
