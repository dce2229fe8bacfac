-- 0001: the initial tracker schema: runs and what defines them, their metrics, evaluations and
-- correlation snapshots. Landed migrations are never edited: change the schema with a new numbered file.
--
-- Conventions: tables are plural, columns snake_case; times are UTC ISO-8601 text with milliseconds
-- ('2026-11-29T06:01:02.345Z'), which SQLite's date functions read; content hashes are lowercase
-- SHA-256 hex of the canonical JSON stored beside them, so identical specs share one row in any archive.

-- Which migrations this file has had, and by which tracker. PRAGMA user_version holds the newest.
CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    tracker_version TEXT NOT NULL
) STRICT;

-- What a network is: canonical JSON spec (sorted keys, no whitespace), deduplicated by its hash.
CREATE TABLE architectures (
    id INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL CHECK (json_valid(spec)),
    summary TEXT NOT NULL,               -- e.g. '64-128relu-64relu-10'
    input_size INTEGER NOT NULL,
    output_size INTEGER NOT NULL,
    parameter_count INTEGER NOT NULL
) STRICT;

-- The layers of an architecture, in order. is_hidden = 1 for the layers that get correlation snapshots.
CREATE TABLE layers (
    architecture_id INTEGER NOT NULL REFERENCES architectures(id) ON DELETE CASCADE,
    layer_index INTEGER NOT NULL,        -- 0-based, input to output
    name TEXT NOT NULL,                  -- 'dense1', 'dense2', ..., 'output'
    kind TEXT NOT NULL,                  -- 'dense' (later: 'conv2d', 'lstm', ...)
    units INTEGER NOT NULL,
    activation TEXT,                     -- NULL for a linear layer (the logits)
    is_hidden INTEGER NOT NULL CHECK (is_hidden IN (0, 1)),
    PRIMARY KEY (architecture_id, layer_index),
    UNIQUE (architecture_id, name)
) STRICT, WITHOUT ROWID;

-- A set of hyperparameters, deduplicated by the hash of its canonical JSON.
CREATE TABLE hyperparameter_sets (
    id INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    canonical_json TEXT NOT NULL CHECK (json_valid(canonical_json))
) STRICT;

-- One typed row per hyperparameter: value keeps its SQL type (INTEGER, REAL or TEXT), so
-- `WHERE key = 'learning_rate' AND value > 0.01` compares numbers.
CREATE TABLE hyperparameters (
    set_id INTEGER NOT NULL REFERENCES hyperparameter_sets(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value ANY NOT NULL,
    PRIMARY KEY (set_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX hyperparameters_by_key_value ON hyperparameters (key, value);

-- A data set, identified by the hash of its content (features and labels as stored in the binary).
CREATE TABLE datasets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL,                -- where it comes from, with attribution
    sample_count INTEGER NOT NULL,
    feature_count INTEGER NOT NULL,
    class_count INTEGER NOT NULL,
    content_hash TEXT NOT NULL UNIQUE
) STRICT;

-- One training run.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
    created_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    heartbeat_at TEXT,                   -- last time the run committed data; a stale 'running' run died
    seed INTEGER NOT NULL,
    tracker_version TEXT NOT NULL,
    host TEXT NOT NULL,
    command_line TEXT NOT NULL,
    error_message TEXT,                  -- set when status = 'failed'
    architecture_id INTEGER NOT NULL REFERENCES architectures(id),
    hyperparameter_set_id INTEGER NOT NULL REFERENCES hyperparameter_sets(id),
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    train_samples INTEGER NOT NULL,
    test_samples INTEGER NOT NULL,
    probe_samples INTEGER NOT NULL,
    total_steps INTEGER NOT NULL,
    snapshot_schedule TEXT NOT NULL CHECK (json_valid(snapshot_schedule))  -- how snapshot steps were chosen
) STRICT;
CREATE INDEX runs_by_created_at ON runs (created_at);
CREATE INDEX runs_by_status ON runs (status);
CREATE INDEX runs_by_architecture ON runs (architecture_id);
CREATE INDEX runs_by_hyperparameter_set ON runs (hyperparameter_set_id);

-- Free-form labels on runs.
CREATE TABLE tags (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
) STRICT, WITHOUT ROWID;
CREATE INDEX tags_by_tag ON tags (tag);

-- One row per optimisation step: the mini-batch's loss and accuracy before the update.
CREATE TABLE step_metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,               -- updates done after this step (1-based)
    epoch INTEGER NOT NULL,              -- 0-based
    train_loss REAL,                     -- NULL when the loss was not finite (diverged)
    train_accuracy REAL NOT NULL,
    learning_rate REAL NOT NULL,
    wall_time REAL NOT NULL,             -- seconds since the run started
    PRIMARY KEY (run_id, step)
) STRICT, WITHOUT ROWID;

-- Loss and accuracy on a whole split at a step (end of each epoch, and the final step).
CREATE TABLE evaluations (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    split TEXT NOT NULL CHECK (split IN ('train', 'test', 'probe')),
    loss REAL,                           -- NULL when not finite
    accuracy REAL NOT NULL,
    sample_count INTEGER NOT NULL,
    wall_time REAL NOT NULL,
    PRIMARY KEY (run_id, step, split)
) STRICT, WITHOUT ROWID;

-- Correlation statistics of one hidden layer at one step, over the run's fixed probe set.
-- Dead units (zero variance on the probe set) and non-finite units are excluded from the pairs.
CREATE TABLE snapshots (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,               -- 0 = before the first update
    layer_index INTEGER NOT NULL,        -- layers.layer_index in the run's architecture
    probe_samples INTEGER NOT NULL,
    units INTEGER NOT NULL,
    dead_units INTEGER NOT NULL,         -- zero variance over the probe set
    non_finite_units INTEGER NOT NULL,   -- a NaN or infinite output on some probe sample (a diverged run)
    pair_count INTEGER NOT NULL,         -- live pairs i < j among units neither dead nor non-finite
    mean_abs_r REAL,                     -- mean |r| over live pairs; NULL when there are none or any unit is non-finite
    mean_r REAL,                         -- signed mean r over live pairs; NULL likewise
    PRIMARY KEY (run_id, step, layer_index)
) STRICT, WITHOUT ROWID;
CREATE INDEX snapshots_by_layer ON snapshots (run_id, layer_index, step);

-- One row per run: what defines it, where it ended, hyperparameters as a JSON object.
CREATE VIEW run_overview AS
SELECT
    r.id AS run_id,
    r.uuid,
    r.name,
    r.status,
    r.created_at,
    r.ended_at,
    r.seed,
    a.summary AS architecture,
    d.name AS dataset,
    (SELECT json_group_object(h.key, h.value) FROM hyperparameters h WHERE h.set_id = r.hyperparameter_set_id)
        AS hyperparameters,
    (SELECT group_concat(t.tag, ',') FROM (SELECT tag FROM tags WHERE run_id = r.id ORDER BY tag) t) AS tags,
    (SELECT max(m.step) FROM step_metrics m WHERE m.run_id = r.id) AS last_step,
    r.total_steps,
    (SELECT e.accuracy FROM evaluations e WHERE e.run_id = r.id AND e.split = 'test'
        ORDER BY e.step DESC LIMIT 1) AS test_accuracy,
    (SELECT e.loss FROM evaluations e WHERE e.run_id = r.id AND e.split = 'test'
        ORDER BY e.step DESC LIMIT 1) AS test_loss,
    (SELECT count(*) FROM snapshots s WHERE s.run_id = r.id) AS snapshot_rows
FROM runs r
JOIN architectures a ON a.id = r.architecture_id
JOIN datasets d ON d.id = r.dataset_id;

-- The long snapshot series: one row per (run, step, hidden layer), with names joined in.
CREATE VIEW snapshot_series AS
SELECT
    s.run_id,
    r.uuid AS run_uuid,
    r.name AS run_name,
    s.step,
    s.layer_index,
    l.name AS layer_name,
    l.kind AS layer_kind,
    l.activation,
    s.units,
    s.dead_units,
    s.non_finite_units,
    s.pair_count,
    s.probe_samples,
    s.mean_abs_r,
    s.mean_r
FROM snapshots s
JOIN runs r ON r.id = s.run_id
JOIN layers l ON l.architecture_id = r.architecture_id AND l.layer_index = s.layer_index;
