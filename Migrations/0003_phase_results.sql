-- 0003: detected correlation phases. One row per (run, probed layer, reduction, statistic): the class of the
-- series (rise_then_decay, rise, decay, flat, insufficient, non_finite) and what describes it, computed by a
-- versioned detector with the parameters stored beside the result. A result is replaced, never mixed, when it is
-- recomputed with another detector version or other parameters, or after the run has snapshotted more.

CREATE TABLE phase_results (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    layer_index INTEGER NOT NULL,        -- layers.layer_index in the run's architecture
    reduction TEXT NOT NULL,             -- snapshots.reduction of the series
    statistic TEXT NOT NULL,             -- the snapshots column analysed, e.g. 'mean_abs_r'
    detector_version TEXT NOT NULL,
    parameters TEXT NOT NULL CHECK (json_valid(parameters)),   -- the detector's parameters, JSON
    phase_class TEXT NOT NULL
        CHECK (phase_class IN ('rise_then_decay', 'rise', 'decay', 'flat', 'insufficient', 'non_finite')),
    point_count INTEGER NOT NULL,        -- finite snapshots analysed
    last_step INTEGER,                   -- the last snapshot step analysed
    run_status TEXT NOT NULL,            -- the run's status when analysed ('running': a partial series)
    start_value REAL,                    -- smoothed value at the first snapshot
    peak_step REAL,                      -- refined peak location in steps (rise_then_decay only)
    peak_value REAL,
    rise_amplitude REAL,                 -- peak − start
    rise_duration REAL,                  -- peak step − first step
    decay_fraction REAL,                 -- (peak − final) / (peak − start)
    half_decay_step INTEGER,             -- first step after the peak back half-way to the start
    final_value REAL,                    -- smoothed value at the last snapshot
    noise_sigma REAL,                    -- 1.4826 · MAD of raw − smoothed
    noise_floor REAL,                    -- the statistic's value for independent units, when known
    other_peaks INTEGER NOT NULL,        -- further peaks that passed the prominence test
    first_non_finite_step INTEGER,       -- where a diverged series first went NaN or infinite
    computed_at TEXT NOT NULL,
    PRIMARY KEY (run_id, layer_index, reduction, statistic)
) STRICT, WITHOUT ROWID;

-- Phase results with run and layer names joined in.
CREATE VIEW phase_summary AS
SELECT
    p.run_id,
    r.uuid AS run_uuid,
    r.name AS run_name,
    r.status,
    p.layer_index,
    l.name AS layer_name,
    l.kind AS layer_kind,
    p.reduction,
    p.statistic,
    p.phase_class,
    p.peak_step,
    p.peak_value,
    p.start_value,
    p.final_value,
    p.rise_amplitude,
    p.decay_fraction,
    p.half_decay_step,
    p.noise_sigma,
    p.noise_floor,
    p.other_peaks,
    p.point_count,
    p.run_status AS analysed_status,
    p.detector_version,
    p.parameters,
    p.computed_at
FROM phase_results p
JOIN runs r ON r.id = p.run_id
JOIN layers l ON l.architecture_id = r.architecture_id AND l.layer_index = p.layer_index;
