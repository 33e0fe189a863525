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
        let written = fs::File::create(&temp).and_then(|mut file| {
            file.write_all(sealed)?;
            file.sync_all()?;
            fs::rename(&temp, &path)
        });
        let Err(source) = written else { return Ok(()) };
        // No half-written file stays behind; if even that fails, the write's
        // own error is the one to tell, and the cleaner's the one to log.
        if let Err(e) = fs::remove_file(&temp)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, path = %temp.display(), "could not remove a blob's temporary file");
        }
        Err(StoreError::Io { context: "cannot write blob", path, source })
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

#[cfg(test)]
mod tests {
    use super::*;

    // req: I.SEC
    #[test]
    fn a_blob_that_cannot_be_put_in_place_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open(dir.path()).unwrap();
        let id = BlobId::random();
        // Something already stands where the blob should go.
        fs::create_dir(dir.path().join(id.as_str())).unwrap();
        fs::write(dir.path().join(id.as_str()).join("x"), b"x").unwrap();
        assert!(blobs.put(&id, b"sealed").is_err());
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from(id.as_str())], "only what was there before");
    }
}
