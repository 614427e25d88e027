//! Tests of loading, expansion and evaluation.
