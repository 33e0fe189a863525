//! Files the command line writes that hold personal data (a disclosure
//! package, an access export, a newsletter's messages and labels, an
//! announcement to an employee): readable by their owner only, whatever the
//! umask, also when the file was there before.

use std::fs::{File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

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

/// A file that replaces `path` whole once it is written, or not at all: it
/// is written beside it (owner-only) and renamed over it by
/// [`Replacement::finish`]; dropped unfinished (the command failed half-way),
/// it is removed, and whatever `path` held stays.
pub struct Replacement {
    file: File,
    written: PathBuf,
    path: PathBuf,
    /// Put in place: nothing to remove.
    finished: bool,
}

impl Replacement {
    pub fn create(path: &Path) -> Result<Replacement, Failure> {
        let mut written = path.as_os_str().to_owned();
        written.push(".partial");
        let written = PathBuf::from(written);
        Ok(Replacement { file: create(&written)?, written, path: path.to_path_buf(), finished: false })
    }

    /// The file being written.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// The file it replaces.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts the written file in place of `path`.
    pub fn finish(mut self) -> Result<(), Failure> {
        self.file.sync_all().map_err(|e| Failure(format!("cannot write {}: {e}", self.written.display())))?;
        std::fs::rename(&self.written, &self.path)
            .map_err(|e| Failure(format!("cannot put {} in place of {}: {e}", self.written.display(), self.path.display())))?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for Replacement {
    fn drop(&mut self) {
        if !self.finished
            && let Err(e) = std::fs::remove_file(&self.written)
        {
            eprintln!("could not remove the unfinished {}: {e}; remove it by hand", self.written.display());
        }
    }
}
