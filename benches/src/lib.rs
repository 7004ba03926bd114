//! Benches live in `benches/ops.rs`.
