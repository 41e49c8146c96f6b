//! Verification speed, unit by unit, next to the baselines a user would pick
//! instead.
//!
//! For each shape (on its short side, as `verify` works) and arithmetic:
//!
//! * `step/{f64,f32,bf16,fp16}`: one degree-5 step, A = X Xᵀ,
//!   B = bA + cA², X' = aX + BX, in the run's arithmetic (bf16 and fp16
//!   emulated on f32 with a rounding after every operation);
//! * `measure/{f64,f32}`: the metrics of one iterate, always in f64
//!   (S = X Xᵀ, D = X − P, D Dᵀ, S's smallest, middle and largest
//!   eigenvalue and D Dᵀ's largest, ‖D‖_F);
//! * `gemm/{f64,f32}`: faer's plain product X Xᵀ (a general product, no
//!   symmetry used), the hardware baseline.
//!
//! `benches/numpy_baseline.py` does the same units in numpy (OpenBLAS);
//! `benches/report.py` joins both into the README's table, and
//! `benches/verify_vs_numpy.sh` runs the three shape by shape (numpy right
//! after criterion for each shape):
//!
//! ```text
//! sh benches/verify_vs_numpy.sh            # all shapes, about 20 minutes
//! sh benches/verify_vs_numpy.sh 1024x4096  # one
//! ```
//!
//! `BENCH_SHAPES=1024x4096` limits the shapes (default
//! `1024x4096,4096x4096,8192x1024`).

use criterion::{Criterion, criterion_group, criterion_main};
use faer::Mat;
use polar_coeffs::verify::arith::{Storage, step, step_f64};
use polar_coeffs::verify::kernel::{gram_t, map, product};
use polar_coeffs::verify::measure;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

/// The binary's allocator (huge pages on large buffers, as numpy has).
#[global_allocator]
static ALLOC: polar_coeffs::memory::HugePageAlloc = polar_coeffs::memory::HugePageAlloc;

const COEFFS: [f64; 3] = [3.4445, -4.7750, 2.0315];

fn shapes() -> Vec<(usize, usize)> {
    let text = std::env::var("BENCH_SHAPES").unwrap_or_else(|_| "1024x4096,4096x4096,8192x1024".into());
    text.split(',')
        .map(|s| {
            let (a, b) = s.split_once('x').expect("BENCH_SHAPES: ROWSxCOLS,...");
            (a.trim().parse().expect("rows"), b.trim().parse().expect("cols"))
        })
        .collect()
}

/// Gaussian entries scaled by 1/√rows (Xᵀ of a matrix with σ near 1).
fn random(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Mat<f64> {
    let g = polar_coeffs::verify::matrix::gaussian(rows, cols, rng);
    let scale = 1.0 / (rows as f64).sqrt();
    Mat::from_fn(rows, cols, |i, j| g[(i, j)] * scale)
}

fn units(c: &mut Criterion) {
    for (rows, cols) in shapes() {
        let (n, m) = (rows.min(cols), rows.max(cols));
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        // Iterates are held transposed (m×n), as verify holds them.
        let x64 = random(m, n, &mut rng);
        let polar = random(m, n, &mut rng);
        let x32: Mat<f32> = Mat::from_fn(m, n, |i, j| x64[(i, j)] as f32);
        let c32: Vec<f32> = COEFFS.iter().map(|&v| v as f32).collect();
        let mut group = c.benchmark_group(format!("{rows}x{cols}"));
        group.sample_size(10);
        // The plain product X Xᵀ = (Xᵀ)ᵀ Xᵀ: one general GEMM, n×n from k = m.
        let plain64 = x64.transpose().to_owned();
        let plain32 = x32.transpose().to_owned();
        group.bench_function("gemm/f64", |b| b.iter(|| product(black_box(plain64.as_ref()), x64.as_ref())));
        group.bench_function("gemm/f32", |b| b.iter(|| product(black_box(plain32.as_ref()), x32.as_ref())));
        group.bench_function("step/f64", |b| {
            b.iter(|| step_f64(black_box(&x64), &gram_t(x64.as_ref()), &COEFFS));
        });
        for (name, storage) in [("f32", Storage::F32), ("bf16", Storage::Bf16), ("fp16", Storage::Fp16)] {
            let x = map(&x32, |v| storage.round(v));
            group.bench_function(format!("step/{name}"), |b| {
                b.iter(|| step(black_box(&x), &gram_t(x.as_ref()), &c32, storage));
            });
        }
        group.bench_function("measure/f64", |b| b.iter(|| measure(black_box(&x64), &polar).unwrap()));
        group.bench_function("measure/f32", |b| b.iter(|| measure(black_box(&x32), &polar).unwrap()));
        group.finish();
    }
}

criterion_group!(benches, units);
criterion_main!(benches);
