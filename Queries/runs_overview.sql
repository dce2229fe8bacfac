-- Runs, newest first, with architecture, data set, status and final test accuracy.
-- :status  only runs with this status: running, finished, failed or interrupted (default: all)
-- :limit   at most this many rows (default: 50)
SELECT run_id, uuid, name, status, architecture, dataset, seed,
       round(test_accuracy, 4) AS test_accuracy, last_step, total_steps, tags, created_at
FROM run_overview
WHERE :status IS NULL OR status = :status
ORDER BY created_at DESC, run_id DESC
LIMIT coalesce(:limit, 50);
