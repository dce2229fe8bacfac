-- Placeholder for another branch's migration 0007 (drop at merge).
SELECT 1;
