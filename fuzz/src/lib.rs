//! What the fuzz targets that reach the kernel share: the shipped register
//! on a kernel over a fresh data directory (SQLite, keys, blobs), opened
//! once per fuzzing process, as `grondslag serve` and the command line open
//! theirs.
//!
//! Harness code, like a test: a setup that fails stops the run with the
//! reason (`expect`), since no input could be judged without it.

use std::sync::Arc;

use grondslag_kernel::{DataDir, Kernel};

/// The moment the kernel is opened at and applications are filed at:
/// fixed, so a finding replays the same.
pub const NOW: &str = "2026-06-01T10:00:00Z";

/// A kernel and the data directory it keeps its store in.
#[derive(Debug)]
pub struct World {
    /// The kernel, shared as the service shares it.
    pub kernel: Arc<Kernel>,
    /// Removed when the world is dropped; a process libFuzzer ends leaves
    /// it in `TMPDIR` (`.ci/fuzz` points that at a directory it removes).
    pub dir: tempfile::TempDir,
}

/// [`NOW`] as a timestamp.
pub fn now() -> jiff::Timestamp {
    NOW.parse().expect("NOW is an RFC 3339 moment")
}

/// A kernel on the shipped register over a new data directory.
pub fn world() -> World {
    let (register, _) = grondslag_register::load(None, None).expect("the shipped register loads");
    let dir = tempfile::tempdir().expect("a temporary data directory");
    let kernel = DataDir::new(dir.path()).open_kernel(register, None, now()).expect("the kernel opens on a new data directory");
    World { kernel: Arc::new(kernel), dir }
}
