//! The data directory: everything one installation keeps, created on first
//! run with nothing to configure.
//!
//! ```text
//! grondslag-data/
//!   grondslag.db (+ -wal, -shm)   the SQLite store (unless a database URL is given)
//!   blobs/                        encrypted large objects
//!   master.key                    created 0600 unless the operator gives one
//!   index.key                     the blind-index key, kept apart once the master key was rotated
//!   audit-signing.key             Ed25519 seed for checkpoints, 0600
//!   audit-signing.pub             its public half, for verifying (C2SP verifier key)
//!   audit-witness.log             every signed checkpoint, appended (unless --witness names another file)
//! ```
//!
//! With a database URL (`postgres://…`) the store is that PostgreSQL
//! database instead, chosen by the URL's scheme; keys and blobs stay in the
//! directory. Nodes sharing one database share these files too (the same
//! keys, the blob directory on shared storage).

use std::fs;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;

use grondslag_audit::{CheckpointSigner, CheckpointVerifier};
use grondslag_crypto::{CryptoError, KeyFileError, Keyring, MasterKey, load_key, load_or_create_master_key, load_or_create_signing_key, store_new_key};
use grondslag_register::Register;
use grondslag_store::{BlobStore, PostgresStore, SqliteStore, Store, StoreError, is_postgres_url};

use crate::{AUDIT_ORIGIN, Access, Kernel, Witness};

/// Why the kernel could not be opened on a data directory.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum OpenError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Kernel(#[from] crate::KernelError),
    #[error("GRONDSLAG_MASTER_KEY: {0}")]
    MasterKeyVar(CryptoError),
    #[error("GRONDSLAG_MASTER_KEY is not valid text")]
    MasterKeyVarText,
    #[error("cannot use the public key {path}: {reason}")]
    PublicKey { path: PathBuf, reason: String },
    #[error("the master key is given in GRONDSLAG_MASTER_KEY: rotate it where it is kept, or move it into {0} first")]
    RotateGivenKey(PathBuf),
    #[error("cannot put the new master key in place at {path}: {source}")]
    Rotate { path: PathBuf, source: std::io::Error },
    #[error("the store is a PostgreSQL database: back it up with pg_dump (docs/server.md, Backups)")]
    BackupPostgres,
    #[error("{0} holds a store already; restore into an empty data directory")]
    RestoreOver(PathBuf),
    #[error("cannot copy {path}: {source}")]
    Copy { path: PathBuf, source: std::io::Error },
}

/// The master key the operator gives in `GRONDSLAG_MASTER_KEY` (64 hex
/// characters), to keep it outside the data directory; `None` when the
/// variable is not set, and [`DataDir::open_kernel`] uses the key file.
/// Read once by a binary at start-up.
pub fn master_key_from_env() -> Result<Option<MasterKey>, OpenError> {
    match std::env::var("GRONDSLAG_MASTER_KEY") {
        Ok(hex) => Ok(Some(MasterKey::from_hex(&hex).map_err(OpenError::MasterKeyVar)?)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(OpenError::MasterKeyVarText),
    }
}

/// A retention rule that differs from the one a data directory ran with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionChange {
    /// The processing, by register id.
    pub processing: String,
    /// What changes for it.
    pub change: Change,
    /// Records that processing holds now.
    pub records: u64,
}

/// How a register changes the retention of data already held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A shorter term: records may fall due at once.
    Shorter,
    /// Another rule, not shorter.
    Other,
    /// The register no longer has the processing: its records are kept,
    /// and skipped by the sweep, until a person decides (rename it back,
    /// or erase them).
    Removed,
}

/// The paths of one data directory, and where its store is.
#[derive(Clone, Debug)]
pub struct DataDir {
    /// The directory itself.
    pub root: PathBuf,
    /// A PostgreSQL URL; `None` keeps the store in the directory (SQLite).
    pub database_url: Option<String>,
    /// Where signed checkpoints are witnessed: the file, and a command.
    witness: Witness,
}

impl DataDir {
    /// The directory at `root`, with its store in its own SQLite file.
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        let root = root.into();
        let witness = Witness::new(root.join("audit-witness.log"));
        DataDir { root, database_url: None, witness }
    }

    /// Witness checkpoints in `file` instead of the directory's own, and
    /// hand them to `command` too.
    #[must_use]
    pub fn with_witness(mut self, file: Option<PathBuf>, command: Option<String>) -> DataDir {
        let file = file.unwrap_or_else(|| self.witness.file().to_path_buf());
        self.witness = Witness::new(file).with_command(command);
        self
    }

    /// Where signed checkpoints are witnessed.
    pub fn witness(&self) -> &Witness {
        &self.witness
    }

    /// The store at `url` instead of the directory's SQLite file.
    #[must_use]
    pub fn with_database_url(mut self, url: Option<String>) -> DataDir {
        self.database_url = url;
        self
    }

    /// Opens (creating and migrating as needed) the store: the database
    /// the URL names, chosen by its scheme, or the directory's SQLite file.
    pub fn open_store(&self) -> Result<Box<dyn Store>, OpenError> {
        match &self.database_url {
            None => Ok(Box::new(SqliteStore::open(&self.database())?)),
            Some(url) if is_postgres_url(url) => Ok(Box::new(PostgresStore::open(url)?)),
            Some(other) => Err(StoreError::InvalidUrl(other.clone()).into()),
        }
    }

    /// Whether a store may already hold data: a database URL always may.
    fn has_store(&self) -> bool {
        self.database_url.is_some() || self.database().exists()
    }

    /// The SQLite file, when no database URL is set.
    pub fn database(&self) -> PathBuf {
        self.root.join("grondslag.db")
    }

    /// Where sealed large objects are kept.
    pub fn blobs(&self) -> PathBuf {
        self.root.join("blobs")
    }

    /// The operator's root key.
    pub fn master_key(&self) -> PathBuf {
        self.root.join("master.key")
    }

    /// The blind-index key, in a file of its own once the master key was rotated.
    pub fn index_key(&self) -> PathBuf {
        self.root.join("index.key")
    }

    /// A rotation's new master key until the re-wrapping has committed.
    fn next_master_key(&self) -> PathBuf {
        self.root.join("master.key.next")
    }

    /// The keys of this directory: the key-encryption key from `master`,
    /// the blind-index key from `index.key` when the master key was rotated.
    fn keyring(&self, master: &MasterKey) -> Result<Keyring, OpenError> {
        Ok(match load_key(&self.index_key())? {
            Some(index) => Keyring::with_index_key(master, &index)?,
            None => Keyring::new(master)?,
        })
    }

    /// Finishes or forgets a rotation that stopped half-way: the store says
    /// which key wraps its subject keys. If it is the new one, the
    /// re-wrapping committed and the new key takes the old one's place;
    /// otherwise the new key never wrapped anything and goes.
    fn settle_rotation(&self) -> Result<(), OpenError> {
        let next = self.next_master_key();
        let Some(candidate) = load_key(&next)? else { return Ok(()) };
        let mut stored = None;
        self.open_store()?.transaction(&mut |tx| {
            stored = tx.setting(crate::KEK_CHECK)?;
            Ok(())
        })?;
        let error = |source| OpenError::Rotate { path: next.clone(), source };
        if stored.as_deref() == Some(&self.keyring(&candidate)?.kek_check()[..]) {
            fs::rename(&next, self.master_key()).map_err(error)?;
        } else {
            fs::remove_file(&next).map_err(error)?;
        }
        fs::File::open(&self.root).and_then(|dir| dir.sync_all()).map_err(error)
    }

    /// Rotates the master key kept in this directory: a new one re-wraps
    /// every subject key in one transaction, then replaces the old key file
    /// (the old key is gone from this directory). The blind-index key is
    /// kept apart first, so every keyed digest stays valid. Returns the
    /// subjects re-wrapped. A stop half-way is settled at the next opening.
    pub fn rotate_master_key(&self, register: Register, given: Option<&MasterKey>, access: &Access) -> Result<u64, OpenError> {
        let now = access.now;
        if given.is_some() {
            return Err(OpenError::RotateGivenKey(self.master_key()));
        }
        let kernel = self.open_kernel(register, None, now)?;
        let current = load_or_create_master_key(&self.master_key())?;
        if load_key(&self.index_key())?.is_none() {
            store_new_key(&self.index_key(), &current.index_key()?)?;
        }
        let next = MasterKey::generate();
        store_new_key(&self.next_master_key(), &next)?;
        let rewrapped = kernel.rotate_keys(access, &self.keyring(&next)?)?;
        drop(kernel);
        self.settle_rotation()?;
        Ok(rewrapped)
    }

    /// Copies the SQLite store, as it is at one moment, to `to` (a new
    /// file, owner-only), while the service may go on writing. The copy
    /// holds ciphertext and wrapped keys only: it is read with this
    /// directory's keys, and not at all once they were rotated.
    pub fn backup(&self, to: &std::path::Path) -> Result<(), OpenError> {
        if self.database_url.is_some() {
            return Err(OpenError::BackupPostgres);
        }
        let copy = |source| OpenError::Copy { path: to.to_path_buf(), source };
        // Made owner-only before a byte is in it; SQLite fills an empty file.
        fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(to).map_err(copy)?;
        let made = SqliteStore::open(&self.database())?.backup_to(to);
        if made.is_err() {
            // Half a copy is no backup.
            fs::remove_file(to).map_err(copy)?;
        }
        Ok(made?)
    }

    /// Puts the copy `from` (made by [`DataDir::backup`]) in place as this
    /// directory's store, which must have none; then opens it with the
    /// directory's keys. A copy made before the master key was rotated does
    /// not open ([`crate::KernelError::WrongMasterKey`]) and is taken out again.
    pub fn restore(&self, register: Register, master: Option<&MasterKey>, from: &std::path::Path, now: jiff::Timestamp) -> Result<Kernel, OpenError> {
        self.create()?;
        let target = self.database();
        if self.database_url.is_some() || target.exists() {
            return Err(OpenError::RestoreOver(self.root.clone()));
        }
        let copy = |source| OpenError::Copy { path: from.to_path_buf(), source };
        let mut source = fs::File::open(from).map_err(copy)?;
        let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&target).map_err(copy)?;
        std::io::copy(&mut source, &mut file).and_then(|_| file.sync_all()).map_err(copy)?;
        let opened = self.open_kernel(register, master, now);
        if opened.is_err() {
            for leftover in [target.clone(), self.root.join("grondslag.db-wal"), self.root.join("grondslag.db-shm")] {
                if leftover.exists() {
                    fs::remove_file(&leftover).map_err(copy)?;
                }
            }
        }
        opened
    }

    /// The Ed25519 key that signs audit checkpoints.
    pub fn signing_key(&self) -> PathBuf {
        self.root.join("audit-signing.key")
    }

    /// Its public half, written beside it: all that verifying needs.
    pub fn public_key(&self) -> PathBuf {
        self.root.join("audit-signing.pub")
    }

    /// Creates the directory if it does not exist, and makes it
    /// owner-only whoever made it: a directory made beforehand (systemd's
    /// `StateDirectory` is 0755) would leave the database, the keys and the
    /// blobs readable by every user of the machine.
    pub fn create(&self) -> Result<(), OpenError> {
        let error = |source| OpenError::DataDir { path: self.root.clone(), source };
        fs::create_dir_all(&self.root).map_err(error)?;
        fs::set_permissions(&self.root, fs::Permissions::from_mode(0o700)).map_err(error)?;
        Ok(())
    }

    /// Opens the kernel on this directory's SQLite store. `master` is the
    /// operator's key when given (e.g. from `GRONDSLAG_MASTER_KEY`);
    /// otherwise the key file is used, created on first run. A processing
    /// whose content changed since the last opening gets a new version,
    /// valid from `now` (see [`Kernel::processing_versions`]).
    pub fn open_kernel(&self, register: Register, master: Option<&MasterKey>, now: jiff::Timestamp) -> Result<Kernel, OpenError> {
        self.create()?;
        let keys = match master {
            Some(master) => self.keyring(master)?,
            None => {
                self.settle_rotation()?;
                self.keyring(&load_or_create_master_key(&self.master_key())?)?
            }
        };
        let signer = CheckpointSigner::new(AUDIT_ORIGIN, load_or_create_signing_key(&self.signing_key())?);
        let public = self.public_key();
        grondslag_crypto::remove_stale_side_files(&public).map_err(|e| OpenError::PublicKey { path: public.clone(), reason: e.to_string() })?;
        if !public.exists() {
            // Written beside it and renamed into place: a process killed
            // while writing must not leave a cut-off key that later starts
            // would take as written.
            let temp = grondslag_crypto::side_file(&public);
            let written = fs::write(&temp, format!("{}\n", signer.verifier().to_vkey())).and_then(|()| fs::rename(&temp, &public));
            written.map_err(|e| OpenError::PublicKey { path: public.clone(), reason: e.to_string() })?;
        }
        let store = self.open_store()?;
        let blobs = BlobStore::open(&self.blobs())?;
        Ok(Kernel::new(register, store, blobs, keys, signer, now)?.with_witness(self.witness.clone()))
    }

    /// The governance records of the processing `processing` (by register
    /// id; see [`Kernel::record_governance`]), read without opening a
    /// kernel, for `register check --data`; none when there is no store yet.
    pub fn governance(&self, processing: &str) -> Result<Vec<(String, Vec<u8>)>, OpenError> {
        if !self.has_store() {
            return Ok(Vec::new());
        }
        let mut records = Vec::new();
        self.open_store()?.transaction(&mut |tx| {
            records = crate::state::governance_in(tx, processing)?;
            Ok(())
        })?;
        Ok(records)
    }

    /// For `register check`: the processings whose retention rule in
    /// `register` differs from the rule this data directory last ran with,
    /// with whether the new one is shorter and how many records it holds.
    /// Reads only; nothing is applied.
    pub fn retention_changes(&self, register: &Register) -> Result<Vec<RetentionChange>, OpenError> {
        if !self.has_store() {
            return Ok(Vec::new());
        }
        let store = self.open_store()?;
        let (mut rules, mut counts) = (Vec::new(), Vec::new());
        store.transaction(&mut |tx| {
            rules = tx.settings_with_prefix(crate::RETENTION_SETTING)?;
            counts = tx.record_counts()?;
            Ok(())
        })?;
        let mut changes = Vec::new();
        for (name, stored) in rules {
            let processing = name.trim_start_matches(crate::RETENTION_SETTING);
            let (Some(id), Ok(before)) = (register.processing_id(processing), serde_json::from_slice::<grondslag_register::Retention>(&stored)) else {
                continue;
            };
            let now = &register.processing(id).retention;
            if *now != before {
                let records = counts.iter().find(|(p, _)| p == processing).map_or(0, |(_, n)| *n);
                let change = if now.shorter_than(&before) { Change::Shorter } else { Change::Other };
                changes.push(RetentionChange { processing: processing.to_string(), change, records });
            }
        }
        for (processing, records) in counts {
            if register.processing_id(&processing).is_none() {
                changes.push(RetentionChange { processing, change: Change::Removed, records });
            }
        }
        Ok(changes)
    }

    /// Opens only what audit verification needs: the store and the public
    /// key that checks checkpoints (`public_key`, or the directory's own).
    /// No master key and no signing key are read.
    pub fn open_audit(&self, public_key: Option<&std::path::Path>) -> Result<(Box<dyn Store>, CheckpointVerifier), OpenError> {
        if !self.has_store() {
            return Err(OpenError::DataDir {
                path: self.database(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no database here; run `grondslag demo --data DIR` or point --data at an existing data directory",
                ),
            });
        }
        let path = public_key.map_or_else(|| self.public_key(), std::path::Path::to_path_buf);
        let failed = |reason: String| OpenError::PublicKey { path: path.clone(), reason };
        // A missing key is not made up: a fresh one would only make every
        // checkpoint fail, and would hide that the real key went missing.
        let text =
            fs::read_to_string(&path).map_err(|e| failed(format!("{e}; copy audit-signing.pub from the data directory, or restore it from the backup")))?;
        let verifier = CheckpointVerifier::from_vkey(&text).map_err(|e| failed(e.to_string()))?;
        Ok((self.open_store()?, verifier))
    }
}
