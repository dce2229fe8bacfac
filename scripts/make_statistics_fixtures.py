#!/usr/bin/env python3
"""Writes the reference fixtures for TrackerAnalysis's snapshot statistics (the registry of issue #8).

Re-run from the package root (python3 with numpy and scipy):

    python3 scripts/make_statistics_fixtures.py

It rewrites Tests/TrackerAnalysisTests/Fixtures/statistics/*.json; commit the script with its output. Every case
draws from numpy.random.default_rng(SEED + case index), so the output is deterministic. The Swift tests read only
the JSON files.

Each fixture `<name>.json` is one series of snapshots of one probe point (CKA compares a snapshot with the series'
first and previous ones):

    name, description
    dtype                  "float32" or "float64": the activations' type
    samples, units         the shape of every snapshot's (samples, units) matrix
    labels                 the class of each row, or null
    snapshots              a list, in order, each with
      values               base64 of the row-major little-endian activations (NaN and infinities allowed)
      deadUnits, nonFiniteUnits, pairCount
      histogram            40 counts (numpy.histogram(r, bins=40, range=(-1, 1))), or null
      statistics           {name: value or null} for every scalar statistic of the registry

The references are computed here independently of the Swift code paths:
  * dead and non-finite units by the rule of scripts/make_correlation_fixtures.py;
  * R by numpy.corrcoef of the live columns after subtracting each column's first value (exact for the inputs
    here), clipped to [-1, 1];
  * C = numpy.cov(bias=True) of all finite columns (shifted likewise); DeCov and the participation ratio from C;
  * the effective rank from scipy.linalg.eigvalsh(C) (the Swift code decomposes the N x N Gram when N < D);
  * linear CKA in *sample space* with Kornblith et al.'s center_gram (biased and unbiased), where the Swift code
    works in feature space;
  * class selectivity from class means summed exactly (math.fsum) over the raw values.
Statistics that are undefined (no live pair, a NaN or infinity, no labels, no previous snapshot) are null.
"""

import base64
import json
import math
from pathlib import Path

import numpy as np
import scipy.linalg

SEED = 20260811
DEAD_RELATIVE_THRESHOLD = 1e-12
OUTPUT = Path(__file__).resolve().parent.parent / "Tests" / "TrackerAnalysisTests" / "Fixtures" / "statistics"
SCALARS = [
    "mean_abs_r", "mean_r", "mean_r_squared", "sd_r", "fraction_abs_r_above_0_5", "fraction_abs_r_above_0_9",
    "max_abs_r", "noise_floor_abs_r", "dead_fraction", "decov_per_pair", "participation_ratio", "class_selectivity",
    "effective_rank", "cka_previous", "cka_initial", "cka_previous_debiased", "cka_initial_debiased",
]


def classify(x):
    """(dead, non_finite) boolean masks over units."""
    samples, units = x.shape
    x64 = x.astype(np.float64)
    non_finite = ~np.all(np.isfinite(x64), axis=0)
    dead = np.zeros(units, dtype=bool)
    for j in np.flatnonzero(~non_finite):
        column = x64[:, j]
        if samples < 2:
            dead[j] = True
            continue
        shifted = column - column[0]
        sigma = math.sqrt(np.mean((shifted - shifted.mean()) ** 2))
        dead[j] = sigma <= DEAD_RELATIVE_THRESHOLD * np.abs(column).max()
    return dead, non_finite


def center_gram(gram, unbiased):
    """Kornblith et al. (2019), colab `center_gram`."""
    gram = gram.copy()
    if unbiased:
        n = gram.shape[0]
        np.fill_diagonal(gram, 0)
        means = np.sum(gram, 0, dtype=np.float64) / (n - 2)
        means -= np.sum(means) / (2 * (n - 1))
        gram -= means[:, None]
        gram -= means[None, :]
        np.fill_diagonal(gram, 0)
    else:
        means = np.mean(gram, 0, dtype=np.float64)
        means -= np.mean(means) / 2
        gram -= means[:, None]
        gram -= means[None, :]
    return gram


def cka(x, y, unbiased):
    gx = center_gram(x @ x.T, unbiased)
    gy = center_gram(y @ y.T, unbiased)
    hsic = gx.ravel().dot(gy.ravel())
    nx, ny = np.linalg.norm(gx), np.linalg.norm(gy)
    if unbiased:
        # The unbiased estimator of ||XᵀX||² can be <= 0 for degenerate inputs; the Swift code reports null then.
        xx, yy = gx.ravel().dot(gx.ravel()), gy.ravel().dot(gy.ravel())
        if xx <= 0 or yy <= 0:
            return None
    if nx == 0 or ny == 0:
        return None
    return float(hsic / (nx * ny))


def reference(x, labels, previous, initial):
    """Every statistic of one snapshot; `previous` and `initial` are (shifted centred matrix or None) references."""
    samples, units = x.shape
    x64 = x.astype(np.float64)
    dead, non_finite = classify(x)
    live = np.flatnonzero(~dead & ~non_finite)
    pair_count = live.size * (live.size - 1) // 2
    stats = {name: None for name in SCALARS}
    if samples >= 1:
        stats["noise_floor_abs_r"] = math.sqrt(2 / (math.pi * samples))
    if units > 0:
        stats["dead_fraction"] = float(dead.sum()) / units
    histogram = None
    current = None
    if non_finite.any():
        return stats, histogram, dead, non_finite, pair_count, None
    shifted = x64 - x64[0] if samples > 0 else x64
    if pair_count > 0:
        with np.errstate(all="raise"):
            r = np.clip(np.corrcoef(shifted[:, live], rowvar=False), -1.0, 1.0)
        pairs = r[np.triu_indices(live.size, k=1)]
        stats["mean_abs_r"] = float(np.mean(np.abs(pairs)))
        stats["mean_r"] = float(np.mean(pairs))
        stats["mean_r_squared"] = float(np.mean(pairs ** 2))
        stats["sd_r"] = float(np.std(pairs))
        stats["fraction_abs_r_above_0_5"] = float(np.mean(np.abs(pairs) > 0.5))
        stats["fraction_abs_r_above_0_9"] = float(np.mean(np.abs(pairs) > 0.9))
        stats["max_abs_r"] = float(np.max(np.abs(pairs)))
        histogram = [int(c) for c in np.histogram(pairs, bins=40, range=(-1, 1))[0]]
    if samples >= 1 and units >= 1:
        centred = shifted - shifted.mean(axis=0)
        centred[:, dead] = 0.0  # a dead unit does not vary (exactly so for the inputs here)
        covariance = centred.T @ centred / samples
        squares = covariance ** 2
        if units >= 2:
            stats["decov_per_pair"] = float((squares.sum() - np.trace(squares)) / 2 / (units * (units - 1)))
        trace = np.trace(covariance)
        if trace > 0:
            stats["participation_ratio"] = float(trace ** 2 / squares.sum())
        if live.size == 1:
            stats["effective_rank"] = 1.0
        elif live.size > 1:
            eigenvalues = np.clip(scipy.linalg.eigvalsh(covariance), 0, None)
            p = eigenvalues[eigenvalues > 0] / eigenvalues.sum()
            stats["effective_rank"] = float(math.exp(-np.sum(p * np.log(p))))
        current = centred
        norm = np.linalg.norm(centred.T @ centred)
        if norm > 0:
            if initial is None:
                stats["cka_initial"] = 1.0
                stats["cka_initial_debiased"] = 1.0 if samples >= 4 else None
            else:
                stats["cka_initial"] = cka(centred, initial, False) if initial is not False else None
                stats["cka_initial_debiased"] = (cka(centred, initial, True)
                                                 if initial is not False and samples >= 4 else None)
            if previous is not None and previous is not False:
                stats["cka_previous"] = cka(centred, previous, False)
                stats["cka_previous_debiased"] = cka(centred, previous, True) if samples >= 4 else None
    if labels is not None and samples >= 2:
        classes = sorted(set(labels))
        if len(classes) >= 2:
            values = []
            for j in live:
                column = x64[:, j]
                if column.min() < 0:
                    continue
                means = [math.fsum(column[np.asarray(labels) == c]) / labels.count(c) for c in classes]
                top = max(means)
                rest = (math.fsum(means) - top) / (len(means) - 1)
                if top + rest > 0:
                    values.append((top - rest) / (top + rest))
            if values:
                stats["class_selectivity"] = math.fsum(values) / len(values)
    return stats, histogram, dead, non_finite, pair_count, current


def number(value):
    if value is None:
        return None
    assert math.isfinite(value), value
    return float(value)


def write_case(name, description, snapshots, labels=None):
    """`snapshots`: list of (samples, units) arrays of one dtype and shape."""
    dtype = snapshots[0].dtype
    assert dtype in (np.float32, np.float64)
    samples, units = snapshots[0].shape
    first = None
    previous = None
    written = []
    for x in snapshots:
        assert x.shape == (samples, units) and x.dtype == dtype
        stats, histogram, dead, non_finite, pair_count, current = reference(x, labels, previous, first)
        if current is None and non_finite.any():
            current = False  # an undefined snapshot: CKA against it is undefined
        if first is None:
            first = current
        previous = current
        written.append({
            "values": base64.b64encode(np.ascontiguousarray(x).astype(x.dtype.newbyteorder("<")).tobytes()).decode(),
            "deadUnits": int(dead.sum()),
            "nonFiniteUnits": int(non_finite.sum()),
            "pairCount": int(pair_count),
            "histogram": histogram,
            "statistics": {key: number(value) for key, value in stats.items()},
        })
    document = {
        "name": name,
        "description": description,
        "dtype": "float32" if dtype == np.float32 else "float64",
        "samples": samples,
        "units": units,
        "labels": labels,
        "snapshots": written,
    }
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    (OUTPUT / f"{name}.json").write_text(text)
    return len(text)


def relu(z):
    return np.maximum(z, 0.0)


def cases():
    """(name, description, builder(rng) -> (snapshots, labels)) in a fixed order (the order fixes the seeds)."""

    def labels_for(rng, samples, classes=4):
        return [int(v) for v in rng.integers(0, classes, samples)]

    def relu_layer(rng):
        inputs = rng.standard_normal((240, 12))
        weights = rng.standard_normal((12, 48)) / 3.0 + 0.25 * rng.standard_normal((12, 1))
        bias = 0.1 * rng.standard_normal(48)
        bias[[3, 30]] = -60.0
        labels = labels_for(rng, 240, 5)
        shift = np.eye(5)[labels] @ rng.standard_normal((5, 48))  # class-dependent inputs: some selectivity
        return [relu(inputs @ weights + bias + shift).astype(np.float32)], labels

    def drifting_series(rng):
        # Four snapshots of a 64-unit layer on 200 rows, drifting from the first: CKA against the first and previous.
        inputs = rng.standard_normal((200, 10))
        weights = rng.standard_normal((10, 64))
        snapshots = []
        for _ in range(4):
            snapshots.append(np.tanh(inputs @ weights / 3.0).astype(np.float32))
            weights = weights + 0.4 * rng.standard_normal((10, 64))
        return snapshots, labels_for(rng, 200)

    def small_n_series(rng):
        # N = 12 rows, D = 30 units (N < D): the debiased CKA differs from the plain one; rank at most N - 1.
        inputs = rng.standard_normal((12, 6))
        weights = rng.standard_normal((6, 30))
        first = relu(inputs @ weights)
        second = relu(inputs @ (weights + 0.5 * rng.standard_normal((6, 30))))
        return [first.astype(np.float64), second.astype(np.float64)], labels_for(rng, 12, 3)

    def constant_unit(rng):
        x = rng.standard_normal((50, 5))
        x[:, 1] = 3.7
        return [x.astype(np.float32)], labels_for(rng, 50)

    def all_dead(rng):
        x = np.tile(rng.standard_normal((1, 6)), (40, 1))
        return [x.astype(np.float32)], labels_for(rng, 40)

    def fewer_samples_than_units(rng):
        return [rng.standard_normal((9, 24)).astype(np.float32)], labels_for(rng, 9, 3)

    def one_unit(rng):
        return [np.abs(rng.standard_normal((30, 1))).astype(np.float32)], labels_for(rng, 30)

    def two_identical_units(rng):
        base = rng.standard_normal(60)
        return [np.column_stack([base, base]).astype(np.float32)], labels_for(rng, 60)

    def large_offset_float32(rng):
        # 1e6 + noise in float32 (spacing 0.0625 there): shift-exact arithmetic keeps every digit.
        latent = rng.standard_normal((80, 1))
        x = 1e6 + np.round(4 * (latent @ rng.standard_normal((1, 6)) + rng.standard_normal((80, 6)))) / 4
        return [x.astype(np.float32)], labels_for(rng, 80)

    def large_offset_float64(rng):
        # 1e6 + 1e-3 noise in float64: naive sums of x² lose ~12 of 16 digits.
        latent = rng.standard_normal((80, 1))
        x = 1e6 + 1e-3 * (latent @ rng.standard_normal((1, 5)) + rng.standard_normal((80, 5)))
        return [x], labels_for(rng, 80)

    def non_finite(rng):
        # A diverged layer: one NaN and one infinity. Counts are reported, statistics of R and C are undefined.
        x = rng.standard_normal((40, 6)).astype(np.float32)
        x[7, 2] = np.nan
        x[3, 4] = np.inf
        return [x], labels_for(rng, 40)

    def diverging_series(rng):
        # Snapshot 2 holds a NaN: its CKA is undefined, and so is snapshot 3's CKA against it (previous), while
        # snapshot 3 against the first is defined.
        inputs = rng.standard_normal((64, 5))
        weights = rng.standard_normal((5, 16))
        first = np.tanh(inputs @ weights)
        second = first.copy()
        second[0, 0] = np.nan
        third = np.tanh(inputs @ (weights + 0.3 * rng.standard_normal((5, 16))))
        return [first.astype(np.float32), second.astype(np.float32), third.astype(np.float32)], None

    def signed_activations(rng):
        # tanh units take negative values: class selectivity (defined for non-negative activations) is null.
        return [np.tanh(rng.standard_normal((70, 8))).astype(np.float32)], labels_for(rng, 70)

    def float64_gaussians(rng):
        return [rng.standard_normal((300, 20))], labels_for(rng, 300)

    return [
        ("relu_layer", "240 x 48 ReLU layer with class-dependent inputs (5 classes), units 3 and 30 dead.", relu_layer),
        ("drifting_series", "Four snapshots of 200 x 64 tanh units whose weights drift: CKA against first and previous.", drifting_series),
        ("small_n_series", "Two float64 snapshots with N = 12 < D = 30: debiased CKA, rank < D.", small_n_series),
        ("constant_unit", "50 x 5 normals, unit 1 stuck at 3.7 (dead).", constant_unit),
        ("all_dead", "40 x 6, every unit constant: no pairs, everything from R and C undefined.", all_dead),
        ("fewer_samples_than_units", "9 x 24 normals (N < D).", fewer_samples_than_units),
        ("one_unit", "30 x 1 non-negative values: no pairs; effective rank 1.", one_unit),
        ("two_identical_units", "60 x 2, the same unit twice: r = 1, one pair.", two_identical_units),
        ("large_offset_float32", "80 x 6 float32 at 1e6 plus quarter-step noise with a shared factor.", large_offset_float32),
        ("large_offset_float64", "80 x 5 float64 at 1e6 plus 1e-3 noise with a shared factor.", large_offset_float64),
        ("non_finite", "40 x 6 with a NaN in unit 2 and an infinity in unit 4.", non_finite),
        ("diverging_series", "Three snapshots of 64 x 16, the second with a NaN.", diverging_series),
        ("signed_activations", "70 x 8 tanh values: selectivity undefined.", signed_activations),
        ("float64_gaussians", "300 x 20 float64 standard normals.", float64_gaussians),
    ]


def main():
    OUTPUT.mkdir(parents=True, exist_ok=True)
    written = set()
    total = 0
    for index, (name, description, builder) in enumerate(cases()):
        rng = np.random.default_rng(SEED + index)
        snapshots, labels = builder(rng)
        total += write_case(name, description, snapshots, labels)
        written.add(f"{name}.json")
    for stale in OUTPUT.glob("*.json"):
        if stale.name not in written:
            stale.unlink()
    print(f"wrote {len(written)} fixtures, {total} bytes, to {OUTPUT}")


if __name__ == "__main__":
    main()
