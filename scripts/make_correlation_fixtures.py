#!/usr/bin/env python3
"""Writes the reference fixtures for TrackerAnalysis's correlation statistics.

Re-run from the package root (python3 + numpy, no other dependency):

    python3 scripts/make_correlation_fixtures.py

It rewrites Tests/TrackerAnalysisTests/Fixtures/*.json; commit the script together with its output.
The output is deterministic: every case draws from numpy.random.default_rng(SEED + case index), and the
numbers are formatted by fixed rules, so re-running on any machine gives byte-identical files.
The Swift tests read only the JSON files; they never need Python.

Each fixture `<name>.json` holds one case:

    name, description          what the case exercises
    samples, units             shape of the input
    values                     row-major (samples, units) float32 activations, each written as the shortest
                               decimal that reads back (decimal -> nearest float64 -> nearest float32) as the
                               exact float32 value; the script checks this for every value
    valuesBitPatternSum        sum of the float32 bit patterns (as unsigned 32-bit integers) modulo 2^32, so
                               the Swift test can prove it decoded exactly these float32 values
    expectedMatrix             row-major (units, units) Pearson correlation matrix, float64 written as the
                               shortest round-trip decimal; null (NaN) in every row and column of a dead unit
    deadUnits, pairCount       as in TrackerAnalysis.CorrelationSummary
    meanAbsR, meanR            mean |r_ij| and mean r_ij over live pairs i < j; null when pairCount == 0

Dead-unit rule (identical to CorrelationStatistics in Sources/TrackerAnalysis): with n samples, a unit is
dead when n < 2, or when its population standard deviation sigma = sqrt(sum_k (x_k - mean)^2 / n),
computed in float64 after subtracting the unit's first value, satisfies sigma <= 1e-12 * max_k |x_k|.
For float32 input with fewer than about 1.8e9 samples this means exactly "all values identical" (any two
distinct float32 values differ by at least 2^-24 of the larger magnitude), so a ReLU that always outputs 0
and a unit stuck at 3.7 are dead, while any genuine variation, however small, is live.

Reference correlations: numpy.corrcoef in float64 of the live columns, after subtracting each column's first
value (exact for these float32 inputs). Pearson r is shift-invariant; the shift only removes numpy's
cancellation error for columns whose mean is large relative to their spread (the `tiny_variation` case),
where unshifted corrcoef is accurate to only ~1e-9. Then r is clipped to [-1, 1] and the diagonal of each
live unit is set to exactly 1.
"""

import json
import math
from pathlib import Path

import numpy as np

SEED = 20240611
DEAD_RELATIVE_THRESHOLD = 1e-12
OUTPUT = Path(__file__).resolve().parent.parent / "Tests" / "TrackerAnalysisTests" / "Fixtures"


def float32_text(value: np.float32) -> str:
    """Shortest decimal that reads back as exactly this float32 (checked through float64, as Swift reads it)."""
    text = str(np.float32(value))
    if not math.isfinite(float(text)):
        raise ValueError(f"non-finite input {text}")
    if np.float32(float(text)) != value or np.float32(float(text)).tobytes() != np.float32(value).tobytes():
        raise ValueError(f"{text} does not read back as float32 {value!r}")
    json.loads(text)  # valid JSON number
    return text


def float64_text(value: float) -> str:
    """Shortest round-trip decimal of a float64; NaN becomes null."""
    if math.isnan(value):
        return "null"
    if not math.isfinite(value):
        raise ValueError("infinite statistic")
    text = repr(float(value))
    assert float(text) == value
    return text


def dead_units(x64: np.ndarray) -> np.ndarray:
    """The dead-unit rule of the module docstring, as a boolean mask over units."""
    samples, units = x64.shape
    if samples < 2:
        return np.ones(units, dtype=bool)
    shifted = x64 - x64[0]
    sigma = np.sqrt(np.mean((shifted - shifted.mean(axis=0)) ** 2, axis=0))
    return sigma <= DEAD_RELATIVE_THRESHOLD * np.abs(x64).max(axis=0)


def reference(x32: np.ndarray) -> dict:
    x64 = x32.astype(np.float64)
    samples, units = x64.shape
    dead = dead_units(x64)
    live = np.flatnonzero(~dead)
    matrix = np.full((units, units), np.nan)
    if live.size > 0:
        shifted = x64[:, live] - x64[0, live]
        with np.errstate(all="raise"):
            sub = np.atleast_2d(np.corrcoef(shifted, rowvar=False))
            plain = np.atleast_2d(np.corrcoef(x64[:, live], rowvar=False))
        assert np.max(np.abs(sub - plain)) < 1e-8, "shifted and plain corrcoef disagree"
        sub = np.clip(sub, -1.0, 1.0)
        np.fill_diagonal(sub, 1.0)
        matrix[np.ix_(live, live)] = sub
    upper = np.triu_indices(live.size, k=1)
    pairs = matrix[np.ix_(live, live)][upper] if live.size > 1 else np.empty(0)
    return {
        "matrix": matrix,
        "deadUnits": int(dead.sum()),
        "pairCount": int(pairs.size),
        "meanAbsR": float(np.mean(np.abs(pairs))) if pairs.size else None,
        "meanR": float(np.mean(pairs)) if pairs.size else None,
    }


def write_case(name: str, description: str, x: np.ndarray) -> int:
    x32 = np.ascontiguousarray(x, dtype=np.float32)
    assert x32.ndim == 2 and np.all(np.isfinite(x32))
    samples, units = x32.shape
    expected = reference(x32)
    bit_sum = int(x32.view(np.uint32).astype(np.uint64).sum() % (1 << 32))

    def row_lines(texts, width):
        return ",\n    ".join(",".join(texts[i:i + width]) for i in range(0, len(texts), width)) if texts else ""

    value_texts = [float32_text(v) for v in x32.ravel()]
    matrix_texts = [float64_text(v) for v in expected["matrix"].ravel()]
    optional = lambda v: "null" if v is None else float64_text(v)
    text = (
        "{\n"
        f'  "name": {json.dumps(name)},\n'
        f'  "description": {json.dumps(description)},\n'
        f'  "samples": {samples},\n'
        f'  "units": {units},\n'
        f'  "valuesBitPatternSum": {bit_sum},\n'
        f'  "deadUnits": {expected["deadUnits"]},\n'
        f'  "pairCount": {expected["pairCount"]},\n'
        f'  "meanAbsR": {optional(expected["meanAbsR"])},\n'
        f'  "meanR": {optional(expected["meanR"])},\n'
        f'  "values": [\n    {row_lines(value_texts, max(units, 1))}\n  ],\n'
        f'  "expectedMatrix": [\n    {row_lines(matrix_texts, max(units, 1))}\n  ]\n'
        "}\n"
    )
    parsed = json.loads(text)  # the file is valid JSON and says what we meant
    assert parsed["samples"] * parsed["units"] == len(parsed["values"])
    assert len(parsed["expectedMatrix"]) == units * units
    path = OUTPUT / f"{name}.json"
    path.write_text(text)
    return path.stat().st_size


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def cases():
    """(name, description, builder(rng)) for every fixture, in a fixed order (the order fixes the seeds)."""

    def independent_gaussians(rng):
        return rng.standard_normal((200, 8))

    def shared_latent_factor(rng):
        latent = rng.standard_normal((150, 1))
        loadings = np.array([[1.0, 0.9, -0.8, 1.2, -1.1, 0.7]])
        return latent @ loadings + 0.3 * rng.standard_normal((150, 6))

    def relu_with_dead_units(rng):
        inputs = rng.standard_normal((120, 5))
        weights = rng.standard_normal((5, 10))
        bias = rng.standard_normal(10) * 0.5
        bias[[2, 7]] = -100.0  # pre-activation always negative: these ReLUs output exactly 0
        return relu(inputs @ weights + bias)

    def constant_nonzero_column(rng):
        x = rng.standard_normal((50, 4))
        x[:, 2] = 3.7  # stuck unit: dead although not zero
        return x

    def duplicates_and_negations(rng):
        base = rng.standard_normal((40, 2))
        return np.column_stack([base[:, 0], base[:, 0], -base[:, 0], base[:, 1], -base[:, 1]])

    def single_sample(rng):
        return rng.standard_normal((1, 5))

    def single_unit(rng):
        return rng.standard_normal((30, 1))

    def tiny_variation(rng):
        x = np.empty((64, 4), dtype=np.float32)
        x[:, 0] = (rng.standard_normal(64) * 1e-30).astype(np.float32)  # tiny scale, real variation
        x[:, 1] = np.float32(3.7)
        x[17, 1] = np.nextafter(np.float32(3.7), np.float32(4.0))  # one float32 step on one sample
        x[:, 2] = (1000.0 + 1e-3 * rng.standard_normal(64)).astype(np.float32)  # |mean| / sigma ~ 1e6
        x[:, 3] = rng.standard_normal(64).astype(np.float32)
        return x

    def realistic_layer(rng):
        # A 16 -> 64 ReLU layer on 256 probe inputs with a little shared structure; two units dead.
        inputs = rng.standard_normal((256, 16))
        weights = rng.standard_normal((16, 64)) / 4.0
        weights += 0.3 * rng.standard_normal((16, 1))  # shared direction: mild positive correlation
        bias = 0.1 * rng.standard_normal(64)
        bias[[5, 40]] = -50.0
        # Rounded to 3 decimals to keep the file small (the values stay exact float32 after rounding).
        return np.round(relu(inputs @ weights + bias), 3)

    return [
        ("independent_gaussians", "200 x 8 independent standard normals: all |r| small.", independent_gaussians),
        ("shared_latent_factor", "150 x 6 columns loading +-0.7..1.2 on one latent factor plus noise: |r| large, mixed signs.", shared_latent_factor),
        ("relu_with_dead_units", "120 x 10 ReLU outputs of a random layer; units 2 and 7 always output 0 (dead).", relu_with_dead_units),
        ("constant_nonzero_column", "50 x 4 normals with unit 2 stuck at 3.7 (dead although nonzero).", constant_nonzero_column),
        ("duplicates_and_negations", "40 x 5: units 1 and 2 are a copy and the negation of unit 0, unit 4 the negation of unit 3: r = +-1.", duplicates_and_negations),
        ("single_sample", "1 x 5: fewer than two samples, so every unit is dead and there are no pairs.", single_sample),
        ("single_unit", "30 x 1: one live unit, diagonal 1, no pairs.", single_unit),
        ("tiny_variation", "64 x 4 live units at the edge of the dead rule: scale 1e-30; 3.7 with one sample one float32 step up; 1000 + 1e-3 noise; a plain normal.", tiny_variation),
        ("realistic_layer", "256 x 64 ReLU layer (values rounded to 3 decimals) with units 5 and 40 dead.", realistic_layer),
    ]


def main():
    OUTPUT.mkdir(parents=True, exist_ok=True)
    written = set()
    total = 0
    for index, (name, description, builder) in enumerate(cases()):
        rng = np.random.default_rng(SEED + index)
        total += write_case(name, description, builder(rng))
        written.add(f"{name}.json")
    for stale in OUTPUT.glob("*.json"):
        if stale.name not in written:
            stale.unlink()
    print(f"wrote {len(written)} fixtures, {total} bytes, to {OUTPUT}")


if __name__ == "__main__":
    main()
