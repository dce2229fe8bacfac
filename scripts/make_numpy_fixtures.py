#!/usr/bin/env python3
"""Writes the NumPy files TrackerDatasets's .npy and .npz readers are tested on, as numpy itself writes them.

Re-run from the package root (python3 + numpy, no other dependency):

    python3 scripts/make_numpy_fixtures.py

It rewrites Tests/TrackerDatasetsTests/Fixtures/numpy/; commit the script together with its output. The Swift
tests read only these files (they never need Python) and compute the values they expect from the formulas below,
so a reader that gets the layout, dtype, scaling or member lookup wrong fails.

    pair/x.npy, pair/y.npy      uint8 images x[n, h, w] = (7n + 3h + w) mod 256, shape (6, 2, 3); int64 y[n] = n mod 3
    pair/x_test.npy, y_test.npy the same formula for n = 6, 7 (held out)
    float64.npy                 float64 features f[n, j] = n - j / 4, shape (5, 3)
    labels_int32.npy            int32 labels n mod 2, shape (5,)
    saved.npz                   np.savez (members stored): x float32 f[n, j] = n / 2 + j, shape (4, 5); y int64
                                n mod 2; x_test (2, 5) by the same formula for n = 4, 5; y_test n mod 2
    compressed.npz              np.savez_compressed (members deflated), same arrays as saved.npz
    keras.npz                   np.savez_compressed with Keras's names: x_train uint8 channels-last (3, 2, 2, 3)
                                with x[n, h, w, c] = 40c + 10h + 5w + n; y_train uint8 shape (3, 1) = n
    big_endian.npy              '>f4' zeros, shape (2, 2)
    fortran.npy                 float32 in Fortran order, shape (2, 3)
    complex.npy                 complex64 zeros, shape (2, 2)
    no_labels.npz               np.savez with arrays a, b only
"""
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "TrackerDatasetsTests" / "Fixtures" / "numpy"


def images(indices):
    n, h, w = np.meshgrid(indices, np.arange(2), np.arange(3), indexing="ij")
    return ((7 * n + 3 * h + w) % 256).astype(np.uint8)


def floats(indices, columns):
    n, j = np.meshgrid(indices, np.arange(columns), indexing="ij")
    return (n / 2 + j).astype(np.float32)


def main():
    (ROOT / "pair").mkdir(parents=True, exist_ok=True)
    np.save(ROOT / "pair" / "x.npy", images(np.arange(6)))
    np.save(ROOT / "pair" / "y.npy", (np.arange(6) % 3).astype(np.int64))
    np.save(ROOT / "pair" / "x_test.npy", images(np.arange(6, 8)))
    np.save(ROOT / "pair" / "y_test.npy", (np.arange(6, 8) % 3).astype(np.int64))
    n, j = np.meshgrid(np.arange(5), np.arange(3), indexing="ij")
    np.save(ROOT / "float64.npy", (n - j / 4).astype(np.float64))
    np.save(ROOT / "labels_int32.npy", (np.arange(5) % 2).astype(np.int32))
    arrays = dict(x=floats(np.arange(4), 5), y=(np.arange(4) % 2).astype(np.int64),
                  x_test=floats(np.arange(4, 6), 5), y_test=(np.arange(4, 6) % 2).astype(np.int64))
    np.savez(ROOT / "saved.npz", **arrays)
    np.savez_compressed(ROOT / "compressed.npz", **arrays)
    n, h, w, c = np.meshgrid(np.arange(3), np.arange(2), np.arange(2), np.arange(3), indexing="ij")
    np.savez_compressed(ROOT / "keras.npz", x_train=(40 * c + 10 * h + 5 * w + n).astype(np.uint8),
                        y_train=np.arange(3, dtype=np.uint8).reshape(3, 1))
    np.save(ROOT / "big_endian.npy", np.zeros((2, 2), dtype=">f4"))
    np.save(ROOT / "fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    np.save(ROOT / "complex.npy", np.zeros((2, 2), dtype=np.complex64))
    np.savez(ROOT / "no_labels.npz", a=np.zeros(3), b=np.ones(3))


if __name__ == "__main__":
    main()
