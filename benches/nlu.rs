//! Benchmarks of the NLU and sentiment hot paths (placeholder until written).
fn main() {}
