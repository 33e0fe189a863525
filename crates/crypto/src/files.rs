//! Key files in the data directory: created on first run with owner-only
//! permissions, refused when others can read them.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use zeroize::Zeroizing;

use crate::{CryptoError, MasterKey};

/// Why a key file could not be loaded or created.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum KeyFileError {
    #[error("cannot read key file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot create key file {path}: {source}")]
    Create { path: PathBuf, source: std::io::Error },
    #[error("key file {path} can be read by others (mode {mode:o}); run `chmod 600 {path}`")]
    Permissions { path: PathBuf, mode: u32 },
    #[error("key file {path} is damaged: {source}")]
    Format { path: PathBuf, source: CryptoError },
}

fn read_secret(path: &Path) -> Result<Option<Zeroizing<String>>, KeyFileError> {
    let metadata = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(KeyFileError::Read { path: path.to_path_buf(), source }),
    };
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Permissions { path: path.to_path_buf(), mode });
    }
    fs::read_to_string(path).map(|s| Some(Zeroizing::new(s))).map_err(|source| KeyFileError::Read { path: path.to_path_buf(), source })
}

/// Reads the secret at `path`, or stores `fresh()` there if there is none.
/// The key is written whole beside `path` and then linked into place, so a
/// process killed while writing leaves no empty or cut-off key file that
/// every later start would refuse. Linking fails if `path` exists, which
/// makes two processes starting at once agree: the loser of the race reads
/// the winner's key instead of overwriting it.
fn read_or_store(path: &Path, fresh: impl FnOnce() -> Zeroizing<String>) -> Result<Zeroizing<String>, KeyFileError> {
    if let Some(text) = read_secret(path)? {
        return Ok(text);
    }
    let create = |source| KeyFileError::Create { path: path.to_path_buf(), source };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let hex = fresh();
    let mut file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temp).map_err(create)?;
    file.write_all(hex.as_bytes()).map_err(create)?;
    file.write_all(b"\n").map_err(create)?;
    file.sync_all().map_err(create)?;
    let linked = fs::hard_link(&temp, path);
    fs::remove_file(&temp).map_err(create)?;
    match linked {
        Ok(()) => Ok(hex),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_secret(path)?.ok_or_else(|| create(e)),
        Err(e) => Err(create(e)),
    }
}

/// Stores `key` at `path`, which must not exist yet, owner-only and synced:
/// a rotation's next master key, or the blind-index key kept apart.
pub fn store_new_key(path: &Path, key: &MasterKey) -> Result<(), KeyFileError> {
    let create = |source| KeyFileError::Create { path: path.to_path_buf(), source };
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(create)?;
    file.write_all(key.to_hex().as_bytes()).map_err(create)?;
    file.write_all(b"\n").map_err(create)?;
    file.sync_all().map_err(create)
}

/// Reads the key at `path` if there is one (the blind-index key kept apart
/// after a rotation, a rotation's next master key).
pub fn load_key(path: &Path) -> Result<Option<MasterKey>, KeyFileError> {
    read_secret(path)?.map(|text| MasterKey::from_hex(&text).map_err(|source| KeyFileError::Format { path: path.to_path_buf(), source })).transpose()
}

/// Reads the master key at `path`, creating one if there is none.
pub fn load_or_create_master_key(path: &Path) -> Result<MasterKey, KeyFileError> {
    let text = read_or_store(path, || MasterKey::generate().to_hex())?;
    MasterKey::from_hex(&text).map_err(|source| KeyFileError::Format { path: path.to_path_buf(), source })
}

/// Reads the audit checkpoint signing key at `path`, creating one if there is
/// none.
pub fn load_or_create_signing_key(path: &Path) -> Result<SigningKey, KeyFileError> {
    let text = read_or_store(path, || Zeroizing::new(hex::encode(SigningKey::generate(&mut rand::rngs::OsRng).to_bytes())))?;
    let mut seed = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text.trim(), seed.as_mut()).map_err(|_| KeyFileError::Format { path: path.to_path_buf(), source: CryptoError::MasterKeyFormat })?;
    Ok(SigningKey::from_bytes(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_created_owner_only_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let first = load_or_create_master_key(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let second = load_or_create_master_key(&path).unwrap();
        assert_eq!(*first.to_hex(), *second.to_hex());

        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let refused = load_or_create_master_key(&path).unwrap_err();
        assert!(refused.to_string().contains("chmod 600"), "{refused}");
    }
}
