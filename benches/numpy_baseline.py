#!/usr/bin/env python3
"""The numpy/OpenBLAS baseline of `cargo bench --bench verify`.

The same two units of work as the Rust benchmark, on the same shapes, done
the way a numpy user would write them:

* step:    one degree-5 step in the run's arithmetic,
           A = X X^T, B = b A + c A A, X' = a X + B X (f64 or f32);
* measure: the metrics of one iterate, always in f64: S = X X^T,
           D = X - P, G = D D^T, eigvalsh(S), eigvalsh(G), ||D||_F.

It prints one JSON object per line: {"shape", "dtype", "unit", "median_s",
"runs"}. `benches/report.py` joins them with criterion's medians. numpy has
no bf16, so there is no bf16 line: the bf16 emulation is compared with the
f32 step of polar-coeffs itself.

Usage: python3 benches/numpy_baseline.py [--runs N] [--shapes 1024x4096,...]
Without numpy it says so and exits with status 0 (nothing to compare).
"""

import argparse
import json
import statistics
import sys
import time

try:
    import numpy as np
except ImportError:  # pragma: no cover - the skip path
    print("numpy is not installed: no baseline measured", file=sys.stderr)
    sys.exit(0)

COEFFS = (3.4445, -4.7750, 2.0315)
SHAPES = "1024x4096,4096x4096,8192x1024"


def median_time(fn, runs):
    fn()  # warm-up, not counted
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def step(x, dtype):
    a, b, c = (dtype(v) for v in COEFFS)
    gram = x @ x.T
    poly = b * gram + c * (gram @ gram)
    return a * x + poly @ x


def measure(x, polar):
    x64 = x.astype(np.float64, copy=False)
    s = x64 @ x64.T
    d = x64 - polar
    g = d @ d.T
    lam = np.linalg.eigvalsh(s)
    top = np.linalg.eigvalsh(g)[-1]
    return lam[0], lam[len(lam) // 2], lam[-1], top, np.sum(d * d)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--shapes", default=SHAPES)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for shape in args.shapes.split(","):
        rows, cols = (int(v) for v in shape.split("x"))
        n, m = min(rows, cols), max(rows, cols)  # the short side, as verify
        x64 = rng.standard_normal((n, m)) / np.sqrt(m)
        polar = rng.standard_normal((n, m)) / np.sqrt(m)
        for name, dtype in (("f64", np.float64), ("f32", np.float32)):
            x = x64.astype(dtype)
            for unit, fn in (("step", lambda: step(x, dtype)), ("measure", lambda: measure(x, polar))):
                t = median_time(fn, args.runs)
                line = {"shape": shape, "dtype": name, "unit": unit, "median_s": t, "runs": args.runs}
                print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
