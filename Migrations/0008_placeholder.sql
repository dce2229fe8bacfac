-- Placeholder for another branch's migration 0008 (drop at merge).
SELECT 1;
