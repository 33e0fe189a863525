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
    remove_stale_side_files(path).map_err(|source| KeyFileError::Create { path: path.to_path_buf(), source })?;
    if let Some(text) = read_secret(path)? {
        return Ok(text);
    }
    let create = |source| KeyFileError::Create { path: path.to_path_buf(), source };
    let temp = side_file(path);
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

/// Where this process writes the file for `path` before putting it in
/// place whole: beside it, hidden, named after the process.
pub fn side_file(path: &Path) -> PathBuf {
    path.with_file_name(format!(".{}.{}.tmp", file_name(path), std::process::id()))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Removes the side files of `path` that processes no longer running left
/// behind (killed between writing and putting in place). One may hold a
/// key, or be a second link to the key file itself, which would then
/// outlive the key's rotation. A running process's side file is its own
/// business: it is about to put it in place.
pub fn remove_stale_side_files(path: &Path) -> std::io::Result<()> {
    let Some(dir) = path.parent() else { return Ok(()) };
    let prefix = format!(".{}.", file_name(path));
    let entries = match fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.strip_prefix(&prefix).and_then(|rest| rest.strip_suffix(".tmp")).and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && !Path::new("/proc").join(pid.to_string()).exists()
        {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
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

    // req: I.SEC
    #[test]
    fn side_files_of_killed_processes_are_removed_and_a_running_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let key = load_or_create_master_key(&path).unwrap();
        // Killed after linking its side file into place: a second name for the key.
        let linked = dir.path().join(".master.key.99999999.tmp");
        fs::hard_link(&path, &linked).unwrap();
        // Killed while writing a key that never went into place.
        let written = dir.path().join(".master.key.99999998.tmp");
        fs::write(&written, "0".repeat(64)).unwrap();
        let running = side_file(&path);
        fs::write(&running, "being written").unwrap();
        let other = dir.path().join(".signing.key.99999999.tmp");
        fs::write(&other, "not this key's").unwrap();
        assert_eq!(load_or_create_master_key(&path).unwrap().to_hex(), key.to_hex());
        assert!(!linked.exists() && !written.exists());
        assert!(running.exists() && other.exists());
    }

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
