fn main() {
    use rug::Float;
    let row = vec![Float::with_val(64, 1.5), Float::with_val(64, -0.5)];
    let b = polar_coeffs::certify::certified_errors(&[row.clone(), row], "0.5", "1", 128).unwrap();
    println!("{:?}", b);
}
