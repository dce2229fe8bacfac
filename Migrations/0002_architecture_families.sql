-- 0002: what CNNs and recurrent nets need. A snapshot records the reduction that turned a layer's output into
-- a (samples, units) matrix (conv channels over spatial means; recurrent units over all time steps or the last),
-- so the snapshot key gains it; layers say which are probed; a run records its BLAS thread count (part of what
-- makes its numbers reproducible); a step records its gradient norm. Rows written before 0002 keep their meaning:
-- their snapshots used no reduction, their probed layers were the hidden ones, and they ran OpenBLAS on 1 thread.

ALTER TABLE runs ADD COLUMN blas_threads INTEGER;    -- OpenBLAS threads the run used (results depend on it)
UPDATE runs SET blas_threads = 1;

ALTER TABLE step_metrics ADD COLUMN gradient_norm REAL;  -- L2 norm of the trained gradients before clipping

ALTER TABLE layers ADD COLUMN is_probed INTEGER CHECK (is_probed IN (0, 1));  -- 1 = gets correlation snapshots
UPDATE layers SET is_probed = is_hidden;

-- The snapshot table again, with the reduction in its key. Views that read it are dropped and recreated.
DROP VIEW snapshot_series;
DROP VIEW run_overview;

CREATE TABLE snapshots_0002 (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,               -- 0 = before the first update
    layer_index INTEGER NOT NULL,        -- layers.layer_index in the run's architecture
    reduction TEXT NOT NULL CHECK (reduction IN ('none', 'spatial_mean', 'time_pooled', 'last_step')),
    probe_samples INTEGER NOT NULL,      -- rows of the matrix: probe samples (× time steps for 'time_pooled')
    units INTEGER NOT NULL,
    dead_units INTEGER NOT NULL,
    non_finite_units INTEGER NOT NULL,
    pair_count INTEGER NOT NULL,
    mean_abs_r REAL,
    mean_r REAL,
    PRIMARY KEY (run_id, step, layer_index, reduction)
) STRICT, WITHOUT ROWID;

INSERT INTO snapshots_0002 (run_id, step, layer_index, reduction, probe_samples, units, dead_units, non_finite_units,
                            pair_count, mean_abs_r, mean_r)
SELECT run_id, step, layer_index, 'none', probe_samples, units, dead_units, non_finite_units, pair_count,
       mean_abs_r, mean_r
FROM snapshots;

DROP TABLE snapshots;
ALTER TABLE snapshots_0002 RENAME TO snapshots;
CREATE INDEX snapshots_by_layer ON snapshots (run_id, layer_index, reduction, step);

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
    (SELECT count(*) FROM snapshots s WHERE s.run_id = r.id) AS snapshot_rows,
    r.blas_threads
FROM runs r
JOIN architectures a ON a.id = r.architecture_id
JOIN datasets d ON d.id = r.dataset_id;

-- The long snapshot series: one row per (run, step, probed layer, reduction), with names joined in.
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
    s.reduction,
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
