-- 0009: the full set of correlation statistics per snapshot (issue #8), a histogram of r per snapshot, and stored
-- correlation matrices. Each scalar statistic of TrackerAnalysis's registry (SnapshotStatistic.all) is a REAL column
-- of `snapshots` with the statistic's name: rows written before 0009 read NULL in every new column, and a
-- statistic a run did not select (`tracker run --statistics`) is NULL as well. Adding a statistic later is one
-- migration like this one: `ALTER TABLE snapshots ADD COLUMN name REAL`, and `snapshot_series` recreated with it.
-- Definitions, units and references are in docs/schema.md.

ALTER TABLE snapshots ADD COLUMN mean_r_squared REAL;            -- (1/P) Σ r²
ALTER TABLE snapshots ADD COLUMN sd_r REAL;                      -- population sd of r over live pairs
ALTER TABLE snapshots ADD COLUMN fraction_abs_r_above_0_5 REAL;  -- #{|r| > 0.5} / P
ALTER TABLE snapshots ADD COLUMN fraction_abs_r_above_0_9 REAL;  -- #{|r| > 0.9} / P
ALTER TABLE snapshots ADD COLUMN max_abs_r REAL;                 -- max |r| over live pairs
ALTER TABLE snapshots ADD COLUMN noise_floor_abs_r REAL;         -- √(2/(π N)): mean |r| of independent units
ALTER TABLE snapshots ADD COLUMN dead_fraction REAL;             -- dead_units / units
ALTER TABLE snapshots ADD COLUMN decov_per_pair REAL;            -- ½ Σ_{i≠j} C_ij² / (D (D − 1))
ALTER TABLE snapshots ADD COLUMN participation_ratio REAL;       -- (tr C)² / tr(C²)
ALTER TABLE snapshots ADD COLUMN class_selectivity REAL;         -- mean (μ_max − μ_rest)/(μ_max + μ_rest)
ALTER TABLE snapshots ADD COLUMN effective_rank REAL;            -- exp(entropy of C's normalised eigenvalues)
ALTER TABLE snapshots ADD COLUMN cka_previous REAL;              -- linear CKA against the previous snapshot
ALTER TABLE snapshots ADD COLUMN cka_initial REAL;               -- linear CKA against the first snapshot
ALTER TABLE snapshots ADD COLUMN cka_previous_debiased REAL;     -- the same with the unbiased HSIC estimator
ALTER TABLE snapshots ADD COLUMN cka_initial_debiased REAL;

-- The histogram of r over a snapshot's live pairs: 40 bins of width 0.05 on [−1, 1] (numpy.histogram's edges,
-- numpy.linspace(-1, 1, 41); the last bin closed), as 40 unsigned 32-bit little-endian counts, bin 0 first.
-- NumPy: numpy.frombuffer(counts, dtype='<u4'). The counts add up to the snapshot's pair_count.
CREATE TABLE snapshot_histograms (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    layer_index INTEGER NOT NULL,
    reduction TEXT NOT NULL,
    counts BLOB NOT NULL CHECK (length(counts) = 160),
    PRIMARY KEY (run_id, step, layer_index, reduction)
) STRICT, WITHOUT ROWID;

-- Correlation matrices kept by `tracker run --store-matrices EVERY`: the strict upper triangle of R, row by row
-- ((0,1), (0,2), ..., (0,D−1), (1,2), ..., (D−2,D−1)), as D(D−1)/2 float32 little-endian values; NaN for a pair with
-- a dead or non-finite unit. `tracker matrix` writes the full matrix as .npy or CSV. A rowid table: its rows are
-- large, which WITHOUT ROWID tables handle badly.
CREATE TABLE correlation_matrices (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    layer_index INTEGER NOT NULL,
    reduction TEXT NOT NULL,
    units INTEGER NOT NULL,
    upper_triangle BLOB NOT NULL CHECK (length(upper_triangle) = 2 * units * (units - 1)),
    PRIMARY KEY (run_id, step, layer_index, reduction)
) STRICT;

-- The long snapshot series, now with every statistic column.
DROP VIEW snapshot_series;
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
    s.mean_r,
    s.mean_r_squared,
    s.sd_r,
    s.fraction_abs_r_above_0_5,
    s.fraction_abs_r_above_0_9,
    s.max_abs_r,
    s.noise_floor_abs_r,
    s.dead_fraction,
    s.decov_per_pair,
    s.participation_ratio,
    s.class_selectivity,
    s.effective_rank,
    s.cka_previous,
    s.cka_initial,
    s.cka_previous_debiased,
    s.cka_initial_debiased
FROM snapshots s
JOIN runs r ON r.id = s.run_id
JOIN layers l ON l.architecture_id = r.architecture_id AND l.layer_index = s.layer_index;
