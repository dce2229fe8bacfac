-- The correlation snapshot series of one run: mean |r|, signed mean r and dead units per step and hidden layer.
-- :run    the run's integer id (required)
-- :layer  only the hidden layer with this name, e.g. dense1 (default: every hidden layer)
SELECT layer_name, step, units, dead_units, pair_count, probe_samples, mean_abs_r, mean_r
FROM snapshot_series
WHERE run_id = :run AND (:layer IS NULL OR layer_name = :layer)
ORDER BY layer_index, step;
