#!/bin/sh
# The README's verification benchmark table, shape by shape: criterion's
# units for one shape (`cargo bench --bench verify`), then numpy doing the
# same units on that shape right away, so that both sides of each ratio are
# measured minutes apart on this shared machine rather than a whole run
# apart. Prints the Markdown table (benches/report.py); the numpy lines are
# kept in target/numpy_baseline.jsonl.
#
# Usage: sh benches/verify_vs_numpy.sh [SHAPES]   (default
# 1024x4096,4096x4096,8192x1024; about 20 minutes for all three)
set -eu
shapes=${1:-1024x4096,4096x4096,8192x1024}
out=target/numpy_baseline.jsonl
mkdir -p target
: > "$out"
for shape in $(echo "$shapes" | tr ',' ' '); do
    BENCH_SHAPES=$shape cargo bench --bench verify >&2
    python3 benches/numpy_baseline.py --shapes "$shape" >> "$out"
done
python3 benches/report.py target/criterion "$out"
