#!/usr/bin/env python3
"""Writes the SciPy reference fixtures for TrackerAnalysis's phase detector building blocks.

Re-run from the package root (python3 + numpy + scipy, nothing else):

    python3 scripts/make_phase_fixtures.py

It rewrites Tests/TrackerAnalysisTests/Fixtures/phases/*.json; commit the script together with its output.
The output is deterministic: every case draws from numpy.random.default_rng(SEED + case index) and every
float64 is written as its shortest round-trip decimal (Python's repr), so re-running gives byte-identical
files (on the same numpy/scipy; the reference numbers may move in the last bit with another libm, far inside
the tests' 1e-12 tolerance). The Swift tests read only the JSON files; they never need Python.

Four files, each {"description": ..., "cases": [...]}; every case has "name" and:

savgol_coefficients.json   window, order, position; coefficients = scipy.signal.savgol_coeffs(window, order,
                           pos=position, use="dot"): the weights of the window's samples 0..window-1 that give
                           the least-squares polynomial's value at sample `position`.
savgol_filter.json         window, order, values; smoothed = scipy.signal.savgol_filter(values, window, order,
                           mode="interp").
prominences.json           values; peaks = scipy.signal.find_peaks(values)[0] (no conditions) and
                           prominences = scipy.signal.peak_prominences(values, peaks)[0] (no wlen). Built from the
                           same float64 inputs with the same comparisons, so Swift must match exactly.
log_grid_smoothing.json    steps (ascending ints), values (float64), window; the detector's smoothing of
                           TrackerAnalysis.PhaseDetector.smoothOnUniformGrid written with numpy/scipy:
                               x = log1p(steps); u = linspace(x[0], x[-1], n)
                               smoothed = interp(x, u, savgol_filter(interp(u, x, values), window, 2, mode="interp"))
                           sigma = 1.4826 * median(|r - median(r)|), r = values - smoothed; and peaks/prominences
                           of `smoothed` as in prominences.json. window follows the detector's rule (odd integer
                           nearest to 0.1 n, ties up, at least 5, at most n), checked here against the table in
                           PhaseDetector.windowLength's documentation.
"""

import json
import math
from pathlib import Path

import numpy as np
from scipy.signal import find_peaks, peak_prominences, savgol_coeffs, savgol_filter

SEED = 20240612
OUTPUT = Path(__file__).resolve().parent.parent / "Tests" / "TrackerAnalysisTests" / "Fixtures" / "phases"
NORMAL_CONSISTENCY = 1.4826


def number(value) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError("fixtures hold finite numbers only")
    return value


def numbers(values) -> list:
    return [number(v) for v in values]


def dump(path: Path, description: str, cases: list) -> int:
    """One case per block, arrays on one line each: diffable, and valid JSON that reads back as written."""
    lines = ["{", f'  "description": {json.dumps(description)},', '  "cases": [']
    for index, case in enumerate(cases):
        fields = [f'      {json.dumps(key)}: {json.dumps(value)}' for key, value in case.items()]
        closing = "    }," if index < len(cases) - 1 else "    }"
        lines += ["    {", ",\n".join(fields), closing]
    lines += ["  ]", "}", ""]
    text = "\n".join(lines)
    parsed = json.loads(text)
    assert parsed["cases"] == cases, "fixture does not read back as written"
    path.write_text(text)
    return path.stat().st_size


def snapshot_steps(total: int, every: int = 50, per_decade: int = 8) -> list:
    """tracker's SnapshotSchedule: 0, log-spaced per_decade per decade below `every`, every `every`, and total."""
    steps = {0, total}
    exponent = 0
    while True:
        step = int(round(10 ** (exponent / per_decade)))
        if step >= every or step > total:
            break
        steps.add(step)
        exponent += 1
    steps.update(range(every, total + 1, every))
    return sorted(steps)


def window_length(count: int, fraction: float = 0.1, minimum: int = 5) -> int:
    # Swift's Double.rounded() rounds half away from zero; numpy/Python round() rounds half to even.
    half = (fraction * count - 1) / 2
    nearest = 2 * int(math.floor(abs(half) + 0.5) * (1 if half >= 0 else -1)) + 1
    largest = count if count % 2 == 1 else count - 1
    return min(max(nearest, minimum | 1), largest)


def smooth_on_log_grid(steps, values, window):
    x = np.log1p(np.asarray(steps, dtype=np.float64))
    u = np.linspace(x[0], x[-1], len(x))
    return np.interp(x, u, savgol_filter(np.interp(u, x, values), window, 2, mode="interp"))


def coefficient_cases():
    cases = []
    for window, order in [(5, 2), (7, 2), (21, 2), (11, 3), (9, 4), (3, 0), (5, 1)]:
        centred = savgol_coeffs(window, order, use="dot")
        assert np.allclose(centred, savgol_coeffs(window, order), rtol=0, atol=1e-15), "centred weights not symmetric"
        for position in sorted({window // 2, 0, 1, window - 1}):
            coefficients = savgol_coeffs(window, order, pos=position, use="dot")
            cases.append({"name": f"w{window}_o{order}_p{position}", "window": window, "order": order,
                          "position": position, "coefficients": numbers(coefficients)})
    return cases


def filter_cases():
    def noise(rng):
        return rng.standard_normal(30)

    def sine(rng):
        t = np.linspace(0, 3 * np.pi, 50)
        return np.sin(t) + 0.2 * rng.standard_normal(50)

    def cubic_order(rng):
        return rng.standard_normal(12).cumsum()

    def window_equals_length(rng):
        return rng.standard_normal(9)

    def quadratic(rng):
        t = np.arange(15, dtype=np.float64)
        return 0.5 * t * t - 3 * t + 2  # order 2 keeps it exactly

    def large_offset(rng):
        return 1e6 + rng.standard_normal(40)

    specs = [("noise", 5, 2, noise), ("sine_with_noise", 7, 2, sine), ("random_walk_order_3", 11, 3, cubic_order),
             ("window_equals_length", 9, 2, window_equals_length), ("exact_quadratic", 7, 2, quadratic),
             ("large_offset", 21, 2, large_offset)]
    cases = []
    for index, (name, window, order, builder) in enumerate(specs):
        values = np.asarray(builder(np.random.default_rng(SEED + index)), dtype=np.float64)
        smoothed = savgol_filter(values, window, order, mode="interp")
        cases.append({"name": name, "window": window, "order": order, "values": numbers(values),
                      "smoothed": numbers(smoothed)})
    return cases


def prominence_cases():
    fixed = [
        ("single_peak", [0.0, 1.0, 0.0]),
        ("two_peaks", [0.0, 2.0, 1.0, 3.0, 0.0]),
        ("even_plateau", [0.0, 1.0, 1.0, 0.0]),
        ("odd_plateau", [0.0, 1.0, 1.0, 1.0, 0.0]),
        ("plateau_then_rise", [0.0, 1.0, 1.0, 2.0, 1.0]),
        ("plateau_to_the_end", [0.0, 1.0, 1.0]),
        ("edges_highest", [3.0, 1.0, 2.0, 1.0, 3.0]),
        ("equal_peaks", [0.0, 2.0, 0.0, 2.0, 0.0]),
        ("equal_peak_shoulder", [0.0, 2.0, 1.0, 2.0, 1.5, 2.0, 0.5]),
        ("monotone", [0.0, 1.0, 2.0, 3.0, 4.0]),
        ("constant", [1.0, 1.0, 1.0, 1.0]),
        ("nested", [0.0, 5.0, 1.0, 3.0, 2.0, 4.0, 0.5, 6.0, 0.0]),
    ]
    cases = [{"name": name, "values": values} for name, values in fixed]

    def scipy_example(rng):
        t = np.linspace(0, 6 * np.pi, 200)
        return np.sin(t) + 0.6 * np.sin(2.6 * t)

    def integer_ties(rng):
        return rng.integers(0, 4, 40).astype(np.float64)

    def normal(rng):
        return rng.standard_normal(100)

    for index, (name, builder) in enumerate([("two_sines", scipy_example), ("integer_ties", integer_ties),
                                             ("normal", normal)]):
        cases.append({"name": name, "values": numbers(builder(np.random.default_rng(SEED + 100 + index)))})

    for case in cases:
        values = np.asarray(case["values"], dtype=np.float64)
        peaks, _ = find_peaks(values)
        case["peaks"] = [int(p) for p in peaks]
        case["prominences"] = numbers(peak_prominences(values, peaks)[0]) if len(peaks) else []
    return cases


def log_grid_cases():
    def bump(rng):
        steps = snapshot_steps(1000)
        x = np.log1p(steps)
        values = 0.2 + 0.1 * np.exp(-0.5 * ((x - np.log1p(24)) / 0.8) ** 2) + 0.004 * rng.standard_normal(len(x))
        return steps, values

    def irregular(rng):
        steps = sorted(set(int(s) for s in np.round(np.exp(rng.uniform(0, np.log(5000), 60)))) | {0})
        x = np.log1p(steps)
        values = 0.3 + 0.05 * np.tanh(x - 4) + 0.003 * rng.standard_normal(len(x))
        return steps, values

    def minimal(rng):
        steps = [0, 1, 2, 3, 4, 6, 7, 10]
        return steps, 0.1 + 0.01 * np.arange(8) + 0.002 * rng.standard_normal(8)

    def long_run(rng):
        steps = snapshot_steps(10000)
        x = np.log1p(steps)
        values = 0.15 + 0.2 * np.exp(-0.5 * ((x - np.log1p(300)) / 1.0) ** 2) + 0.01 * rng.standard_normal(len(x))
        return steps, values

    cases = []
    for index, (name, builder) in enumerate([("bump_at_24", bump), ("irregular_rise", irregular),
                                             ("minimal_eight_points", minimal), ("long_run_bump_at_300", long_run)]):
        steps, values = builder(np.random.default_rng(SEED + 200 + index))
        values = np.asarray(values, dtype=np.float64)
        window = window_length(len(steps))
        smoothed = smooth_on_log_grid(steps, values, window)
        residuals = values - smoothed
        sigma = NORMAL_CONSISTENCY * np.median(np.abs(residuals - np.median(residuals)))
        peaks, _ = find_peaks(smoothed)
        cases.append({"name": name, "steps": [int(s) for s in steps], "values": numbers(values), "window": window,
                      "smoothed": numbers(smoothed), "sigma": number(sigma), "peaks": [int(p) for p in peaks],
                      "prominences": numbers(peak_prominences(smoothed, peaks)[0]) if len(peaks) else []})
    return cases


def main():
    # The window rule, against the table in PhaseDetector.windowLength's documentation.
    assert [window_length(n) for n in (8, 59, 60, 79, 80, 99, 100, 200, 213)] == [5, 5, 7, 7, 9, 9, 11, 21, 21]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    files = {
        "savgol_coefficients.json": ("scipy.signal.savgol_coeffs(window, order, pos=position, use='dot')",
                                     coefficient_cases()),
        "savgol_filter.json": ("scipy.signal.savgol_filter(values, window, order, mode='interp')", filter_cases()),
        "prominences.json": ("scipy.signal.find_peaks(values)[0] and peak_prominences(values, peaks)[0]",
                             prominence_cases()),
        "log_grid_smoothing.json": ("Savitzky-Golay on a uniform grid in log1p(step), read back at the samples; "
                                    "robust sigma of the residuals; peaks and prominences of the smoothed series",
                                    log_grid_cases()),
    }
    total = sum(dump(OUTPUT / name, description, cases) for name, (description, cases) in files.items())
    for stale in OUTPUT.glob("*.json"):
        if stale.name not in files:
            stale.unlink()
    print(f"wrote {len(files)} fixture files, {total} bytes, to {OUTPUT}")


if __name__ == "__main__":
    main()
