-- The correlation snapshot series of one run: mean |r|, signed mean r and dead units per step and probed layer.
-- A layer snapshotted with several reductions (recurrent: time_pooled and last_step) has one series per reduction.
-- :run        the run's integer id (required)
-- :layer      only the probed layer with this name, e.g. dense1 (default: every probed layer)
-- :reduction  only this reduction: none, spatial_mean, time_pooled or last_step (default: every reduction)
SELECT layer_name, reduction, step, units, dead_units, pair_count, probe_samples, mean_abs_r, mean_r
FROM snapshot_series
WHERE run_id = :run AND (:layer IS NULL OR layer_name = :layer) AND (:reduction IS NULL OR reduction = :reduction)
ORDER BY layer_index, reduction, step;
