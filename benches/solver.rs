//! Solver speed: the full 8-step degree-5 greedy schedule at 256 bits, and
//! single minimax solves at degrees 7 and 31 on [1e-3, 1], and a 5-step
//! root-family schedule (r = 3, three terms) next to the 5-step degree-5 one.
//!
//! `cargo bench --bench solver`; the README quotes the medians.

use criterion::{Criterion, criterion_group, criterion_main};
use polar_coeffs::precision::parse_decimal;
use polar_coeffs::remez::{RemezOptions, minimax};
use polar_coeffs::schedule::{ScheduleSpec, greedy};
use std::hint::black_box;

fn solver(c: &mut Criterion) {
    let l = parse_decimal("1e-3", 256).unwrap();
    let u = parse_decimal("1", 256).unwrap();
    let options = RemezOptions::default();
    c.bench_function("minimax_d5_256bit", |b| b.iter(|| minimax(black_box(5), &l, &u, &options).unwrap()));
    c.bench_function("minimax_d7_256bit", |b| b.iter(|| minimax(black_box(7), &l, &u, &options).unwrap()));
    c.bench_function("minimax_d31_256bit", |b| b.iter(|| minimax(black_box(31), &l, &u, &options).unwrap()));
    let spec = ScheduleSpec::new(vec![5; 8], "1e-3");
    c.bench_function("schedule_d5_8steps_256bit", |b| b.iter(|| greedy(black_box(&spec)).unwrap()));
    // The root family next to msign: 5 steps of three terms each, r = 3
    // (degree 7: x, x^4, x^7) against r = 2 (degree 5), same interval.
    let msign5 = ScheduleSpec::new(vec![5; 5], "1e-3");
    c.bench_function("schedule_d5_5steps_256bit", |b| b.iter(|| greedy(black_box(&msign5)).unwrap()));
    let root3 = ScheduleSpec { root: 3, ..ScheduleSpec::new(vec![7; 5], "1e-3") };
    c.bench_function("schedule_root3_n3_5steps_256bit", |b| b.iter(|| greedy(black_box(&root3)).unwrap()));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = solver
}
criterion_main!(benches);
