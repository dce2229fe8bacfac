-- Runs whose hyperparameter :key lies in [:min, :max], e.g. learning_rate between 0.01 and 0.1.
-- :key  hyperparameter name, e.g. learning_rate, momentum, batch_size, epochs (required)
-- :min  lower bound, inclusive (default: no lower bound)
-- :max  upper bound, inclusive (default: no upper bound)
SELECT r.run_id, r.uuid, r.name, r.status, h.key, h.value, r.architecture, r.seed,
       round(r.test_accuracy, 4) AS test_accuracy
FROM run_overview r
JOIN runs ON runs.id = r.run_id
JOIN hyperparameters h ON h.set_id = runs.hyperparameter_set_id AND h.key = :key
WHERE (:min IS NULL OR h.value >= :min) AND (:max IS NULL OR h.value <= :max)
ORDER BY h.value, r.run_id;
