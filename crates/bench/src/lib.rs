//! What `grondslag-bench` shares with the product's integration tests: the
//! load generator (`load`), which the bench runs at a realistic count and
//! prints, and the tests run at a small one and assert on, and the
//! percentiles both report.

pub mod load;

/// `values`, sorted (NaN last), for [`percentile`].
pub fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

/// The value at `p` (0.0–1.0) of `sorted` values, nearest rank; NaN for none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or(f64::NAN)
}
