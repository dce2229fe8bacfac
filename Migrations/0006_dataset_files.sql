-- 0006: data sets from users' files and synthetic generators. A data set row stays one row per content (its hash
-- covers the decoded samples, labels and shape, not where the files lie), and gains the shape of one sample and the
-- size of the source's own test set; the path a run was given goes on the run. Rows written before 0006 came from
-- the bundled data sets: their hashes move to the new formula (which adds a line naming shape, classes and counts
-- before the same bytes), so new runs on digits or mnist-5k keep sharing their row.

ALTER TABLE datasets ADD COLUMN sample_shape TEXT;   -- one sample's shape: '1x28x28', '3x32x32', '20x8', '64'
ALTER TABLE datasets ADD COLUMN test_sample_count INTEGER NOT NULL DEFAULT 0;  -- of sample_count: the source's test set

ALTER TABLE runs ADD COLUMN data_path TEXT;          -- --data as given (a path or synthetic:...); NULL for bundled data

-- digits (1797 1x8x8 samples, 10 classes) and mnist-5k (5000 1x28x28 samples): SHA-256 of features and labels, then
-- SHA-256 of 'tracker-dataset SHAPE classes 10 samples N held-out 0\n' followed by the same bytes.
UPDATE datasets SET sample_shape = '1x8x8',
    content_hash = '58d88765731227cabe564f22320f045d55c7c569e0b477e661bd4071a5fed343'
WHERE content_hash = 'cf7e26e57b05ca0df6c8c74907284c3304259880cb7ebc523919b068a1ba6454';
UPDATE datasets SET sample_shape = '1x28x28',
    content_hash = 'e2650b84afb7364b31b52b05b054ed288f32b1a7fad1dd74d7622a9378ff9250'
WHERE content_hash = 'a49d791419f5a49a07ae72098b9e633aff717d1984460f6ce3fb3bfb9aee1734';
