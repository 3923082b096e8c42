//! Benchmarks of the customer models on synthetic data (filled in below).
fn main() {}
