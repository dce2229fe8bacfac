-- For hyperparameter :key, per value and probed layer: runs, how many rose then decayed, and their peak steps.
-- The median and mean are over the runs with a peak (rise_then_decay); read from the stored phase results.
-- :key        hyperparameter name, e.g. learning_rate, batch_size, init_scale (required)
-- :statistic  the statistic whose phases are read: mean_abs_r or mean_r (default: mean_abs_r)
WITH ranked AS (
    SELECT h.key, h.value, p.layer_index, p.layer_name, p.reduction, p.phase_class, p.peak_step,
           row_number() OVER (PARTITION BY h.value, p.layer_name, p.reduction
                              ORDER BY p.peak_step IS NULL, p.peak_step) AS peak_rank,
           count(p.peak_step) OVER (PARTITION BY h.value, p.layer_name, p.reduction) AS peaks
    FROM phase_summary p
    JOIN runs r ON r.id = p.run_id
    JOIN hyperparameters h ON h.set_id = r.hyperparameter_set_id AND h.key = :key
    WHERE p.statistic = coalesce(:statistic, 'mean_abs_r')
)
SELECT key, value, layer_name, reduction, count(*) AS runs,
       sum(phase_class = 'rise_then_decay') AS rise_then_decay,
       round(avg(CASE WHEN peak_rank IN ((peaks + 1) / 2, (peaks + 2) / 2) THEN peak_step END), 1)
           AS median_peak_step,
       round(avg(peak_step), 1) AS mean_peak_step,
       round(min(peak_step), 1) AS min_peak_step,
       round(max(peak_step), 1) AS max_peak_step
FROM ranked
GROUP BY value, layer_name, reduction
ORDER BY value, min(layer_index), layer_name, reduction;
