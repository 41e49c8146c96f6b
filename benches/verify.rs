//! Matrix speed: one degree-5 step in f32 (A = XXᵀ, B = bA + cA², X' = aX + BX;
//! 4n²m + 2n³ flops) next to a plain f32 product of the same shapes (XXᵀ,
//! 2n²m flops), for X of 1024 × 4096. Criterion reports both; the README
//! quotes the GFLOP/s and their ratio.
//!
//! `cargo bench --bench verify`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::DMatrix;
use polar_coeffs::verify::arith::{Storage, gram, step_f32};
use polar_coeffs::verify::matrix::{DEFAULT_MAX_ELEMENTS, MatrixSpec, Spectrum, generate};
use std::hint::black_box;

fn matrix_speed(c: &mut Criterion) {
    let (n, m) = (1024usize, 4096usize);
    let spec = MatrixSpec { rows: n, cols: m, spectrum: Spectrum::Gaussian, lower: 0.5, seed: 0 };
    let x: DMatrix<f32> = generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap().m.map(|v| v as f32 / 100.0);
    let coeffs = [3.4445f32, -4.7750, 2.0315];
    let (nf, mf) = (n as u64, m as u64);
    let mut group = c.benchmark_group("f32_1024x4096");
    group.sample_size(10);
    group.throughput(Throughput::Elements(2 * nf * nf * mf));
    group.bench_function("plain_product_XXt", |b| b.iter(|| gram(black_box(&x))));
    group.throughput(Throughput::Elements(4 * nf * nf * mf + 2 * nf * nf * nf));
    group.bench_function("degree5_step", |b| {
        b.iter(|| {
            let a = gram(black_box(&x));
            step_f32(&x, &a, &coeffs, Storage::F32)
        })
    });
    group.finish();
}

criterion_group!(benches, matrix_speed);
criterion_main!(benches);
