-- 0004: regularisation terms. A step records the sum of the penalties its objective added to the task loss
-- (step_metrics.penalty), and each penalty on its own (step_penalties, e.g. 'decov_dense1'), so a run trained with
-- DeCov shows its cross-entropy and its penalties apart. train_loss keeps its meaning: the mini-batch's mean
-- softmax cross-entropy, the task loss, never including a penalty (as evaluations.loss); the step minimised
-- train_loss + penalty. Rows written before 0004 had no penalty, and read 0.

ALTER TABLE step_metrics ADD COLUMN penalty REAL DEFAULT 0;  -- Σ step_penalties.value; NULL when not finite

-- One row per (run, step, penalty): the weighted term the penalty added to the step's objective.
CREATE TABLE step_penalties (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,               -- step_metrics.step
    name TEXT NOT NULL,                  -- e.g. 'decov_dense1': DeCov on the block output of layer dense1
    value REAL,                          -- λ · L for this mini-batch, before the update; NULL when not finite
    PRIMARY KEY (run_id, step, name)
) STRICT, WITHOUT ROWID;
