//! Adam iteration speed on the published setting (one shared quintic row, 5
//! steps, mean of the 50 largest |f − 1| over 10 000 points): one loss and
//! exact gradient evaluation, in f64 and in MPFR at 128 and 256 bits. The
//! README quotes iterations per second (1 / median).
//!
//! `cargo bench --bench adam`

use criterion::{Criterion, criterion_group, criterion_main};
use polar_coeffs::adam::objective::{Layout, Objective, ObjectiveKind, Penalties};
use rug::Float;
use std::hint::black_box;

fn adam_iteration(c: &mut Criterion) {
    let layout = Layout { degrees: vec![5; 5], shared: true, fixed: vec![None], root: 2 };
    let objective = Objective {
        kind: ObjectiveKind::TopK { k: 50, grid: 10_000 },
        lower: 1e-3,
        upper: 1.0,
        penalties: Penalties::default(),
    };
    let row = [3.4445, -4.7750, 2.0315];
    let mut group = c.benchmark_group("adam_iteration_top50_of_10000_5_steps");
    group.sample_size(10);
    group.bench_function("f64", |b| b.iter(|| objective.evaluate(&layout, black_box(&row), 53, &0.0f64)));
    for prec in [128u32, 256] {
        let params: Vec<Float> = row.iter().map(|&v| Float::with_val(prec, v)).collect();
        let like = Float::with_val(prec, 0);
        group.bench_function(format!("mpfr_{prec}"), |b| {
            b.iter(|| objective.evaluate(&layout, black_box(&params), prec, &like))
        });
    }
    group.finish();
}

criterion_group!(benches, adam_iteration);
criterion_main!(benches);
