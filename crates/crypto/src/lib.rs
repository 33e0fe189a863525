//! Keys and encryption for personal data at rest.
//!
//! A master key (a file with owner-only permissions, created on first run, or
//! handed in by the operator) never encrypts data itself. From it two keys are
//! derived with HMAC-SHA-256 under fixed labels: a key-encryption key that
//! wraps each subject's random data key, and a separate blind-index key. Every
//! field is sealed with AES-256-GCM under its subject's data key, with subject,
//! record and category as associated data, so a ciphertext copied into another
//! row does not open. Deleting the wrapped data key (crypto-shredding) makes
//! every copy of that subject's fields unreadable — in the WAL, in freed
//! pages, in backups.
//!
//! Data keys and nonces come from the thread's generator (`thread_rng`:
//! ChaCha12, seeded from the operating system and seeded again every 64 KiB
//! and after a fork); the master key and the checkpoint signing key, which
//! live for years, straight from the operating system. A
//! write seals about a dozen values: a system call for each nonce cost
//! 0.3 µs against 14 ns (BENCHMARKS.md, fourteenth session).

#![warn(missing_docs)]

mod files;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

pub use files::{KeyFileError, load_key, load_or_create_master_key, load_or_create_signing_key, remove_stale_side_files, side_file, store_new_key};

const NONCE_LEN: usize = 12;

/// Why sealing, opening or reading a key failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum CryptoError {
    #[error("a sealed value did not open: it was altered, moved to another row, or its key is wrong")]
    Open,
    #[error("sealing failed")]
    Seal,
    #[error("a key has the wrong length")]
    KeyLength,
    #[error("the master key must be 64 hexadecimal characters (32 bytes)")]
    MasterKeyFormat,
}

/// The operator's root key. Only derives the keys below.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// A fresh random key from the operating system.
    pub fn generate() -> MasterKey {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        MasterKey(key)
    }

    /// Reads a key written by [`MasterKey::to_hex`] (surrounding whitespace allowed).
    pub fn from_hex(text: &str) -> Result<MasterKey, CryptoError> {
        let mut key = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), key.as_mut()).map_err(|_| CryptoError::MasterKeyFormat)?;
        Ok(MasterKey(key))
    }

    /// The key as 64 hexadecimal characters, for the key file; wiped when dropped.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    fn derive(&self, label: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        let mut mac = hmac(self.0.as_ref())?;
        mac.update(label);
        Ok(Zeroizing::new(mac.finalize().into_bytes().into()))
    }

    /// The blind-index key this master key derives: kept in a file of its
    /// own when the master key is rotated, so that every keyed digest in the
    /// store stays valid while the key-encryption key changes.
    pub fn index_key(&self) -> Result<MasterKey, CryptoError> {
        Ok(MasterKey(self.derive(BLIND_LABEL)?))
    }
}

const KEK_LABEL: &[u8] = b"grondslag key-encryption key v1";
const BLIND_LABEL: &[u8] = b"grondslag blind-index key v1";

fn hmac(key: &[u8]) -> Result<Hmac<Sha256>, CryptoError> {
    <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| CryptoError::KeyLength)
}

/// The keys derived from the master key, ready for use.
#[derive(Clone)]
pub struct Keyring {
    kek: Aes256Gcm,
    blind: Hmac<Sha256>,
    kek_check: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(..)")
    }
}

impl Keyring {
    /// Derives the key-encryption and blind-index keys from the master key.
    pub fn new(master: &MasterKey) -> Result<Keyring, CryptoError> {
        Keyring::with_index_key(master, &master.index_key()?)
    }

    /// The key-encryption key from `master`, the blind-index key as kept
    /// since a rotation ([`MasterKey::index_key`] of the first master key).
    pub fn with_index_key(master: &MasterKey, index: &MasterKey) -> Result<Keyring, CryptoError> {
        let kek = master.derive(KEK_LABEL)?;
        let mut check = hmac(kek.as_ref())?;
        check.update(b"grondslag key-encryption key check");
        Ok(Keyring { kek: Aes256Gcm::new(kek.as_ref().into()), blind: hmac(index.0.as_ref())?, kek_check: check.finalize().into_bytes().into() })
    }

    /// A value that tells key-encryption keys apart without revealing
    /// them: the store keeps it, so a kernel with another key is refused.
    pub fn kek_check(&self) -> [u8; 32] {
        self.kek_check
    }

    /// A keyed digest of a normalised value, to find a subject by it without
    /// storing the value. `kind` separates indexes (a BSN and a KvK number
    /// with the same digits get different digests).
    pub fn blind_index(&self, kind: &str, value: &str) -> [u8; 32] {
        let mut mac = self.blind.clone();
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Seals a subject's key under the key-encryption key, bound to the subject.
    pub fn wrap(&self, key: &SubjectKey, subject: &str) -> Result<Vec<u8>, CryptoError> {
        seal_with(&self.kek, &[b"subject-key", subject.as_bytes()], key.0.as_ref())
    }

    /// Opens a key sealed by [`Keyring::wrap`] for the same subject.
    pub fn unwrap(&self, wrapped: &[u8], subject: &str) -> Result<SubjectKey, CryptoError> {
        let plain = Zeroizing::new(open_with(&self.kek, &[b"subject-key", subject.as_bytes()], wrapped)?);
        let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| CryptoError::Open)?;
        Ok(SubjectKey::from_bytes(bytes))
    }
}

/// One subject's data key.
pub struct SubjectKey(Zeroizing<[u8; 32]>, Aes256Gcm);

impl std::fmt::Debug for SubjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubjectKey(..)")
    }
}

impl SubjectKey {
    /// A fresh random key, for a new subject.
    pub fn generate() -> SubjectKey {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let key = SubjectKey::from_bytes(bytes);
        bytes.zeroize();
        key
    }

    fn from_bytes(bytes: [u8; 32]) -> SubjectKey {
        let cipher = Aes256Gcm::new((&bytes).into());
        SubjectKey(Zeroizing::new(bytes), cipher)
    }

    /// Seals `plain`, bound to the `context` parts (subject, record, category).
    pub fn seal(&self, context: &[&[u8]], plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal_with(&self.1, context, plain)
    }

    /// Opens what [`SubjectKey::seal`] sealed with the same `context`; fails if either was altered.
    pub fn open(&self, context: &[&[u8]], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open_with(&self.1, context, sealed).map(Zeroizing::new)
    }
}

/// The key of one large object (a photo, a recording), made when the
/// object is sealed: before a write takes the store's writer, so before
/// the subject's key is at hand. It is then kept sealed under the
/// subject's key, in the field that names the object, so erasing the
/// subject's key shreds the object as it shreds the subject's fields.
pub struct BlobKey(SubjectKey);

impl std::fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlobKey(..)")
    }
}

impl BlobKey {
    /// Length of [`BlobKey::bytes`].
    pub const LEN: usize = 32;

    /// A fresh random key, for a new object.
    pub fn generate() -> BlobKey {
        BlobKey(SubjectKey::generate())
    }

    /// The key from the bytes [`BlobKey::bytes`] gave, once they are opened
    /// from the field that keeps them.
    pub fn from_slice(bytes: &[u8]) -> Result<BlobKey, CryptoError> {
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::KeyLength)?;
        Ok(BlobKey(SubjectKey::from_bytes(bytes)))
    }

    /// The key's bytes, to be sealed under the subject's key.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0.0
    }

    /// Seals `plain`, bound to the `context` parts (the object's name).
    pub fn seal(&self, context: &[&[u8]], plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.0.seal(context, plain)
    }

    /// Opens what [`BlobKey::seal`] sealed with the same `context`.
    pub fn open(&self, context: &[&[u8]], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.0.open(context, sealed)
    }
}

/// Associated data: each part length-prefixed, so ("ab","c") ≠ ("a","bc").
fn associated_data(context: &[&[u8]]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(context.iter().map(|p| p.len() + 4).sum());
    for part in context {
        aad.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        aad.extend_from_slice(part);
    }
    aad
}

fn seal_with(cipher: &Aes256Gcm, context: &[&[u8]], plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::thread_rng().fill_bytes(&mut nonce);
    let aad = associated_data(context);
    let sealed = cipher.encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad: &aad }).map_err(|_| CryptoError::Seal)?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn open_with(cipher: &Aes256Gcm, context: &[&[u8]], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (nonce, body) = sealed.split_at_checked(NONCE_LEN).ok_or(CryptoError::Open)?;
    let aad = associated_data(context);
    cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: &aad }).map_err(|_| CryptoError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_field_opens_only_in_its_own_place() {
        let ring = Keyring::new(&MasterKey::generate()).unwrap();
        let key = SubjectKey::generate();
        let sealed = key.seal(&[b"s1", b"r1", b"bsn"], b"111222333").unwrap();
        assert_eq!(key.open(&[b"s1", b"r1", b"bsn"], &sealed).unwrap().as_slice(), b"111222333");
        assert_eq!(key.open(&[b"s2", b"r1", b"bsn"], &sealed), Err(CryptoError::Open));
        assert_eq!(key.open(&[b"s1", b"r1", b"health"], &sealed), Err(CryptoError::Open));

        let wrapped = ring.wrap(&key, "s1").unwrap();
        let unwrapped = ring.unwrap(&wrapped, "s1").unwrap();
        assert_eq!(unwrapped.open(&[b"s1", b"r1", b"bsn"], &sealed).unwrap().as_slice(), b"111222333");
        assert!(ring.unwrap(&wrapped, "s2").is_err());
    }

    #[test]
    fn a_blob_key_opens_only_its_own_object_and_only_from_its_own_bytes() {
        let key = BlobKey::generate();
        let sealed = key.seal(&[b"blob-1"], b"photo").unwrap();
        let again = BlobKey::from_slice(key.bytes()).unwrap();
        assert_eq!(again.open(&[b"blob-1"], &sealed).unwrap().as_slice(), b"photo");
        assert_eq!(again.open(&[b"blob-2"], &sealed), Err(CryptoError::Open));
        assert_eq!(BlobKey::generate().open(&[b"blob-1"], &sealed), Err(CryptoError::Open));
        assert_eq!(BlobKey::from_slice(&key.bytes()[..31]).map(|_| ()), Err(CryptoError::KeyLength));
    }

    #[test]
    fn blind_index_is_keyed_and_separated_by_kind() {
        let a = Keyring::new(&MasterKey::generate()).unwrap();
        let b = Keyring::new(&MasterKey::generate()).unwrap();
        assert_eq!(a.blind_index("bsn", "111222333"), a.blind_index("bsn", "111222333"));
        assert_ne!(a.blind_index("bsn", "111222333"), b.blind_index("bsn", "111222333"));
        assert_ne!(a.blind_index("bsn", "11122233"), a.blind_index("kvk", "11122233"));
    }
}
