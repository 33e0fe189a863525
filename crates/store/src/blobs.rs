//! Large values (photos, recordings, footage) as files, already encrypted by
//! the kernel. Writes go to a temporary file and are renamed into place, so a
//! crash leaves either the whole blob or none.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{BlobId, StoreError};

/// Large sealed values (photos, recordings), one file each in a directory.
#[derive(Clone, Debug)]
pub struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    /// The blob store in `dir`, creating the directory if needed.
    pub fn open(dir: &Path) -> Result<BlobStore, StoreError> {
        fs::create_dir_all(dir).map_err(|source| StoreError::Io { context: "cannot create blob directory", path: dir.to_path_buf(), source })?;
        Ok(BlobStore { dir: dir.to_path_buf() })
    }

    fn path(&self, id: &BlobId) -> PathBuf {
        self.dir.join(id.as_str())
    }

    /// Writes a blob whole or not at all: to a temporary file, synced, then renamed.
    pub fn put(&self, id: &BlobId, sealed: &[u8]) -> Result<(), StoreError> {
        let path = self.path(id);
        let temp = self.dir.join(format!(".{id}.tmp"));
        let io = |source| StoreError::Io { context: "cannot write blob", path: path.clone(), source };
        let mut file = fs::File::create(&temp).map_err(io)?;
        file.write_all(sealed).map_err(io)?;
        file.sync_all().map_err(io)?;
        fs::rename(&temp, &path).map_err(io)
    }

    /// Reads a blob, still sealed.
    pub fn get(&self, id: &BlobId) -> Result<Vec<u8>, StoreError> {
        let path = self.path(id);
        fs::read(&path).map_err(|source| StoreError::Io { context: "cannot read blob", path, source })
    }

    /// Deleting a blob that is already gone is not an error: erasure may be
    /// re-run after an interruption.
    pub fn delete(&self, id: &BlobId) -> Result<(), StoreError> {
        let path = self.path(id);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StoreError::Io { context: "cannot delete blob", path, source: e }),
            _ => Ok(()),
        }
    }
}
