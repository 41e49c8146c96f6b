#!/usr/bin/env python3
"""Joins `cargo bench --bench verify` (criterion's medians) with the numpy
baseline (`benches/numpy_baseline.py` output) into one Markdown table.

Usage: python3 benches/report.py target/criterion target/numpy_baseline.jsonl

One row per shape and arithmetic: the median seconds of one step and of one
measurement for polar-coeffs and numpy, their ratio (polar-coeffs / numpy,
below 1 is faster), and for bf16/fp16 the step's ratio to polar-coeffs' own
f32 step. The plain GEMM column is faer's X X^T (a general product) of that
shape, the hardware baseline measured in the same run.
"""

import json
import re
import os
import sys


def criterion_medians(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "benchmark.json" not in files:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            est = json.load(f)
        out[(bench["group_id"], bench["function_id"])] = est["median"]["point_estimate"] * 1e-9
    return out


def numpy_medians(path):
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                out[(row["shape"], f"{row['unit']}/{row['dtype']}")] = row["median_s"]
    return out


def cell(v):
    return "–" if v is None else f"{v:.3f}"


def ratio(a, b):
    return "–" if a is None or b is None else f"{a / b:.2f}"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    ours, theirs = criterion_medians(sys.argv[1]), numpy_medians(sys.argv[2])
    shaped = {g for g, _ in ours if re.fullmatch(r"[0-9]+x[0-9]+", g)}
    shapes = sorted(shaped, key=lambda s: [int(v) for v in s.split("x")])
    print("| shape | dtype | step (s) | numpy step (s) | ratio | measure (s) | numpy measure (s) | ratio "
          "| step + measure ratio | step / own f32 step | plain GEMM X Xᵀ (s) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for shape in shapes:
        for dtype in ("f64", "f32", "bf16", "fp16"):
            step = ours.get((shape, f"step/{dtype}"))
            if step is None:
                continue
            mdtype = "f64" if dtype == "f64" else "f32"
            meas = ours.get((shape, f"measure/{mdtype}"))
            np_step = theirs.get((shape, f"step/{dtype}"))
            np_meas = theirs.get((shape, f"measure/{mdtype}"))
            total = None if None in (step, meas, np_step, np_meas) else (step + meas) / (np_step + np_meas)
            own = ratio(step, ours.get((shape, "step/f32"))) if dtype in ("bf16", "fp16") else "–"
            gemm = ours.get((shape, f"gemm/{mdtype}"))
            print(f"| {shape} | {dtype} | {cell(step)} | {cell(np_step)} | {ratio(step, np_step)} | {cell(meas)} "
                  f"| {cell(np_meas)} | {ratio(meas, np_meas)} | {'–' if total is None else f'{total:.2f}'} | {own} "
                  f"| {cell(gemm)} |")


if __name__ == "__main__":
    main()
