//! Files the command line writes that hold personal data (a disclosure
//! package, an access export, a newsletter's messages and labels, an
//! announcement to an employee): readable by their owner only, whatever the
//! umask, also when the file was there before.

use std::fs::{File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::Failure;

/// Creates (or empties) `path`, owner-only.
pub fn create(path: &Path) -> Result<File, Failure> {
    let error = |e: std::io::Error| Failure(format!("cannot create {}: {e}", path.display()));
    let file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path).map_err(error)?;
    // `mode` applies only to a file made now.
    file.set_permissions(Permissions::from_mode(0o600)).map_err(error)?;
    Ok(file)
}

/// Writes `bytes` to `path`, owner-only.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    create(path)?.write_all(bytes).map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))
}
