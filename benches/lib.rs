//! The harness's criterion benchmarks live in this package's `benches` targets (`cargo bench -p stance-bench`);
//! the library is empty. A package of its own keeps criterion out of `cargo test`'s build.
