-- Per run, probed layer and reduction: the step at which mean |r| peaks, and mean |r| at the start, the peak and the end.
-- A rise-then-fall shows as a peak step between the first and last step, with the final value below the peak. The raw
-- maximum of the snapshots, not a detected phase: see `tracker phases` and the phase_summary view for those.
-- :run  only this run's integer id (default: every run)
WITH ranked AS (
    SELECT run_id, layer_index, layer_name, reduction, step, mean_abs_r,
           row_number() OVER (PARTITION BY run_id, layer_index, reduction ORDER BY mean_abs_r DESC, step) AS by_value,
           row_number() OVER (PARTITION BY run_id, layer_index, reduction ORDER BY step) AS by_step_asc,
           row_number() OVER (PARTITION BY run_id, layer_index, reduction ORDER BY step DESC) AS by_step_desc
    FROM snapshot_series
    WHERE mean_abs_r IS NOT NULL AND (:run IS NULL OR run_id = :run)
)
SELECT run_id, layer_name, reduction,
       max(CASE WHEN by_value = 1 THEN step END) AS peak_step,
       round(max(CASE WHEN by_step_asc = 1 THEN mean_abs_r END), 4) AS start_mean_abs_r,
       round(max(CASE WHEN by_value = 1 THEN mean_abs_r END), 4) AS peak_mean_abs_r,
       max(CASE WHEN by_step_desc = 1 THEN step END) AS final_step,
       round(max(CASE WHEN by_step_desc = 1 THEN mean_abs_r END), 4) AS final_mean_abs_r
FROM ranked
GROUP BY run_id, layer_index, reduction
ORDER BY run_id, layer_index, reduction;
