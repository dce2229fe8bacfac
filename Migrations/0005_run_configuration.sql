-- 0005: every run's full configuration: each setting of `tracker run` with its value, defaults included, as the
-- YAML that `tracker run --config` reads (keys are the flags without their dashes). `tracker show RUN --config`
-- prints it and `tracker run --like RUN` re-runs it. Runs recorded before this migration have NULL.

ALTER TABLE runs ADD COLUMN configuration TEXT;
