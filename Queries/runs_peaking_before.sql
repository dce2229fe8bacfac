-- Runs whose probed layer :layer peaked (a rise_then_decay phase) before step :step, earliest peak first.
-- Reads the stored phase results: run `tracker phases` (or `tracker compare`) first to detect any that are missing.
-- :layer      the probed layer's name, e.g. dense1 (required)
-- :step       peaks strictly before this step count (required)
-- :statistic  the statistic whose phases are read: mean_abs_r or mean_r (default: mean_abs_r)
SELECT p.run_id, p.run_name, p.layer_name, p.reduction, round(p.peak_step, 1) AS peak_step,
       round(p.peak_value, 4) AS peak_value, round(p.decay_fraction, 3) AS decay_fraction,
       round(p.final_value, 4) AS final_value, p.status
FROM phase_summary p
WHERE p.layer_name = :layer AND p.phase_class = 'rise_then_decay' AND p.peak_step < :step
  AND p.statistic = coalesce(:statistic, 'mean_abs_r')
ORDER BY p.peak_step, p.run_id, p.reduction;
