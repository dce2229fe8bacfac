-- Placeholder for another branch's migration 0006 (drop at merge).
SELECT 1;
