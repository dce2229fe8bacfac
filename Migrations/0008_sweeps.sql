-- 0008: sweeps. A sweep is the product of a grid of settings and a list of seeds, started by `tracker sweep`; a
-- run started by a sweep is linked to it by one row of sweep_runs. Both tables merge without special code:
-- sweeps is keyed by its uuid (derived from the sweep's name, so every shard of a sweep writes the same one), and
-- sweep_runs hangs off runs and names its sweep by that uuid, which stays valid in any file.

-- One sweep, identified by its name: re-running a sweep of the same name (with an extended grid, more seeds)
-- adds to it and skips the runs it already finished.
--   SELECT s.name, count(*) AS runs FROM sweeps s JOIN sweep_runs l ON l.sweep_uuid = s.uuid GROUP BY s.uuid;
CREATE TABLE sweeps (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,           -- derived from the name (SHA-256 of it, as a UUID)
    name TEXT NOT NULL,
    configuration TEXT NOT NULL,         -- the sweep's definition as YAML (name, base, grid, seeds), as last run
    created_at TEXT NOT NULL
) STRICT;

-- The runs a sweep started, each with its place in the sweep and its identity: run_key is the SHA-256 of the
-- lines of the run's resolved configuration (runs.configuration) whose values differ from tracker's defaults, with
-- `threads` only when the sweep sets it, so a re-run skips a run whose key has a finished run, and re-runs those
-- interrupted, failed or crashed.
--   SELECT l.run_index, r.status, r.configuration FROM sweep_runs l JOIN runs r ON r.id = l.run_id
--   WHERE l.sweep_uuid = (SELECT uuid FROM sweeps WHERE name = 'lr-sweep') ORDER BY l.run_index, r.id;
CREATE TABLE sweep_runs (
    run_id INTEGER NOT NULL PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    sweep_uuid TEXT NOT NULL,            -- sweeps.uuid (a text key rather than an id, so merging needs no remapping)
    run_index INTEGER NOT NULL,          -- position in the sweep's expansion when the run started (from 0)
    run_key TEXT NOT NULL                -- lowercase hex SHA-256 of the run's non-default settings as YAML
) STRICT;
CREATE INDEX sweep_runs_by_key ON sweep_runs (sweep_uuid, run_key);
