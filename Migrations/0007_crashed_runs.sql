-- 0007: a run whose process died while it was recording (kill -9, power loss, a node lost) is marked `crashed` by
-- `tracker reap`, instead of staying `running` forever. SQLite cannot change a CHECK constraint in place, so the
-- runs table is rebuilt with the new status allowed: same columns in the same order, same rows and ids. The
-- migrator turns foreign keys off while it migrates (so the rebuild cascades nothing) and checks them all before
-- it commits. legacy_alter_table keeps the rename from rewriting the views that read `runs`: they read the new
-- table under the same name.

PRAGMA legacy_alter_table = ON;

CREATE TABLE runs_0007 (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'interrupted', 'crashed')),
    created_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    heartbeat_at TEXT,                   -- last time the run committed data; a stale 'running' run died
    seed INTEGER NOT NULL,
    tracker_version TEXT NOT NULL,
    host TEXT NOT NULL,
    command_line TEXT NOT NULL,
    error_message TEXT,                  -- why a run failed, or how a crashed run was found
    architecture_id INTEGER NOT NULL REFERENCES architectures(id),
    hyperparameter_set_id INTEGER NOT NULL REFERENCES hyperparameter_sets(id),
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    train_samples INTEGER NOT NULL,
    test_samples INTEGER NOT NULL,
    probe_samples INTEGER NOT NULL,
    total_steps INTEGER NOT NULL,
    snapshot_schedule TEXT NOT NULL CHECK (json_valid(snapshot_schedule)),  -- how snapshot steps were chosen
    blas_threads INTEGER,                -- OpenBLAS threads the run used (results depend on it)
    configuration TEXT,                  -- every setting as YAML (see 0005)
    data_path TEXT                       -- --data as given (see 0006)
) STRICT;

INSERT INTO runs_0007 SELECT * FROM runs;
DROP TABLE runs;
ALTER TABLE runs_0007 RENAME TO runs;

CREATE INDEX runs_by_created_at ON runs (created_at);
CREATE INDEX runs_by_status ON runs (status);
CREATE INDEX runs_by_architecture ON runs (architecture_id);
CREATE INDEX runs_by_hyperparameter_set ON runs (hyperparameter_set_id);

PRAGMA legacy_alter_table = OFF;
