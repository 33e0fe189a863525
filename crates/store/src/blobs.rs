//! Large values (photos, recordings, footage) as files, already encrypted by
//! the kernel. Writes go to a temporary file and are renamed into place, so a
//! crash leaves either the whole blob or none.
//!
//! A blob file and the row naming it change in different places, so a
//! process killed between the two would leave a file no row names: a
//! recording of a write that never committed, or a photo of a record whose
//! erasure did. An operation therefore names the blobs it writes or erases
//! in a [`Journal`] before it touches them, and holds a lock on the journal
//! while it runs; a journal whose lock is free at the next start belongs to
//! a process that is gone, and its blobs are kept only if a row names them.
//!
//! A blob must be on disk before the row naming it is, or a power cut could
//! keep a row whose blob is gone. Outside a load that is one `fsync` per
//! blob before `put` returns; a load whose commits are held syncs the
//! blobs' whole file system once before each commit instead ([`Durable`]),
//! which made `generate` 1.4× faster (BENCHMARKS.md, tenth session).
//!
//! A held load's blobs are written by a thread of the blob store's own
//! (the write-behind), not by the caller: creating and renaming a file in a
//! directory of hundreds of thousands took a twentieth of `generate`'s
//! writing thread at 10^6 people, on a core the other idled
//! (BENCHMARKS.md, twenty-second session). Before each commit the store
//! waits until the write-behind has written all it was given, and fails
//! the commit with the first write that failed; a read or a deletion waits
//! for it too, so nobody sees a blob missing that `put` accepted.

use std::collections::VecDeque;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use crate::{BlobId, StoreError};

/// Bytes of blobs the write-behind may hold before `put` waits for it
/// (always at least one blob, however large): a fraction of a second of
/// writing, and a bound on the memory a load's recordings can take.
const WRITE_BEHIND_BYTES: usize = 64 << 20;

/// Large sealed values (photos, recordings), one file each in a directory.
#[derive(Clone, Debug)]
pub struct BlobStore {
    dir: PathBuf,
    /// The journals of operations under way, apart so that finding them
    /// costs what is in flight, not what is stored.
    journals: PathBuf,
    behind: Arc<WriteBehind>,
}

/// The thread writing a held load's blobs, started with the first of them
/// and stopped (after writing what it was given) with the last clone of
/// its blob store.
#[derive(Debug, Default)]
struct WriteBehind {
    shared: Arc<Behind>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Debug, Default)]
struct Behind {
    queue: Mutex<Queue>,
    /// Signalled whenever the queue changes.
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Queue {
    waiting: VecDeque<(BlobId, Vec<u8>)>,
    /// Of the blobs waiting.
    bytes: usize,
    /// A blob is being written now.
    writing: bool,
    /// The first write that failed since the last commit asked.
    failed: Option<StoreError>,
    stopping: bool,
}

impl Behind {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing panics while holding it; if it did, the queue is whole.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'q>(&self, queue: MutexGuard<'q, Queue>) -> MutexGuard<'q, Queue> {
        self.changed.wait(queue).unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until every blob given so far is written (or failed).
    fn settled(&self) -> MutexGuard<'_, Queue> {
        let mut queue = self.lock();
        while !queue.waiting.is_empty() || queue.writing {
            queue = self.wait(queue);
        }
        queue
    }

    fn run(&self, dir: &Path) {
        let mut queue = self.lock();
        loop {
            if let Some((id, sealed)) = queue.waiting.pop_front() {
                queue.bytes -= sealed.len();
                queue.writing = true;
                drop(queue);
                let written = write(dir, &id, &sealed, false);
                queue = self.lock();
                queue.writing = false;
                if let Err(e) = written {
                    match queue.failed {
                        None => queue.failed = Some(e),
                        Some(_) => tracing::warn!(error = %e, "a blob could not be written; the commit fails with the first such"),
                    }
                }
                self.changed.notify_all();
            } else if queue.stopping {
                return;
            } else {
                queue = self.wait(queue);
            }
        }
    }
}

impl Drop for WriteBehind {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.changed.notify_all();
        let thread = self.thread.get_mut().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(Err(_)) = thread.map(JoinHandle::join) {
            tracing::error!("the thread writing blobs panicked");
        }
    }
}

impl BlobStore {
    /// The blob store in `dir`, creating the directory if needed.
    pub fn open(dir: &Path) -> Result<BlobStore, StoreError> {
        let journals = dir.join(".journals");
        fs::create_dir_all(&journals).map_err(|source| StoreError::Io { context: "cannot create blob directory", path: journals.clone(), source })?;
        Ok(BlobStore { dir: dir.to_path_buf(), journals, behind: Arc::default() })
    }

    fn path(&self, id: &BlobId) -> PathBuf {
        self.dir.join(id.as_str())
    }

    /// Writes a blob whole or not at all: to a temporary file, synced
    /// (unless `durable` leaves that to the commit), then renamed. A blob
    /// left to the commit is given to the write-behind, and a failure to
    /// write it fails that commit.
    pub fn put(&self, id: &BlobId, sealed: &[u8], durable: Durable) -> Result<(), StoreError> {
        match durable {
            Durable::Now => write(&self.dir, id, sealed, true),
            Durable::ByCommit => self.write_behind(id, sealed),
        }
    }

    fn write_behind(&self, id: &BlobId, sealed: &[u8]) -> Result<(), StoreError> {
        let shared = &self.behind.shared;
        let mut queue = shared.lock();
        while !queue.waiting.is_empty() && queue.bytes + sealed.len() > WRITE_BEHIND_BYTES {
            queue = shared.wait(queue);
        }
        let mut thread = self.behind.thread.lock().unwrap_or_else(PoisonError::into_inner);
        if thread.is_none() {
            let (dir, running) = (self.dir.clone(), Arc::clone(shared));
            let started = std::thread::Builder::new().name("blob-writer".to_string()).spawn(move || running.run(&dir));
            *thread = Some(started.map_err(|source| StoreError::Io { context: "cannot start the thread writing blobs in", path: self.dir.clone(), source })?);
        }
        // Only an empty queue can have the thread asleep on it; waking it
        // for every blob preempted the caller twice a blob (at the wake,
        // and at the unlock the woken thread then waited for), 3,190 times
        // in a 20,000-person `generate`. So: woken once, after the unlock.
        let asleep = queue.waiting.is_empty();
        queue.bytes += sealed.len();
        queue.waiting.push_back((id.clone(), sealed.to_vec()));
        drop(queue);
        drop(thread);
        if asleep {
            shared.changed.notify_all();
        }
        Ok(())
    }

    /// Makes every blob written so far durable, at once: waits for the
    /// write-behind (failing with the first blob it could not write), then
    /// syncs the file system the blobs are on (`syncfs`) on Linux, elsewhere
    /// every file system (`sync`).
    pub(crate) fn sync_written(&self) -> Result<(), StoreError> {
        if let Some(failed) = self.behind.shared.settled().failed.take() {
            return Err(failed);
        }
        let io = |source| StoreError::Io { context: "cannot make the written blobs durable on", path: self.dir.clone(), source };
        let dir = fs::File::open(&self.dir).map_err(io)?;
        #[cfg(target_os = "linux")]
        rustix::fs::syncfs(&dir).map_err(|e| io(e.into()))?;
        #[cfg(not(target_os = "linux"))]
        {
            drop(dir);
            rustix::fs::sync();
        }
        Ok(())
    }

    /// Reads a blob, still sealed.
    pub fn get(&self, id: &BlobId) -> Result<Vec<u8>, StoreError> {
        drop(self.behind.shared.settled());
        let path = self.path(id);
        fs::read(&path).map_err(|source| StoreError::Io { context: "cannot read blob", path, source })
    }

    /// Deleting a blob that is already gone is not an error: erasure may be
    /// re-run after an interruption. A half-written copy left by a killed
    /// [`BlobStore::put`] goes too.
    pub fn delete(&self, id: &BlobId) -> Result<(), StoreError> {
        // Else the write-behind could write it again after it is gone.
        drop(self.behind.shared.settled());
        remove(&self.dir.join(format!(".{id}.tmp")), "cannot delete blob")?;
        remove(&self.path(id), "cannot delete blob")
    }

    /// A journal for one operation's blobs, locked until it is closed or
    /// its process ends. Made under a temporary name and locked before it
    /// gets its journal name, so it is never found unlocked while in use.
    pub fn journal(&self) -> Result<Journal, StoreError> {
        let name = BlobId::random();
        let (temp, path) = (self.journals.join(format!("{name}.tmp")), self.journals.join(name.as_str()));
        let io = |source| StoreError::Io { context: "cannot start a blob journal", path: path.clone(), source };
        let file = fs::File::create_new(&temp).map_err(io)?;
        file.lock().map_err(io)?;
        fs::rename(&temp, &path).map_err(io)?;
        Ok(Journal { file, path })
    }

    /// The journals of operations whose process is gone (their lock is
    /// free), each with the blobs it names.
    pub fn abandoned(&self) -> Result<Vec<(Journal, Vec<BlobId>)>, StoreError> {
        let io = |source| StoreError::Io { context: "cannot read the blob journals", path: self.journals.clone(), source };
        let mut found = Vec::new();
        for entry in fs::read_dir(&self.journals).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|e| e == "tmp") {
                // Killed before it was renamed: no blob was written under it.
                remove(&path, "cannot remove a blob journal")?;
                continue;
            }
            let io = |source| StoreError::Io { context: "cannot read a blob journal", path: path.clone(), source };
            let file = match fs::OpenOptions::new().read(true).append(true).open(&path) {
                Ok(file) => file,
                // Closed by its operation since the directory was read.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(e)),
            };
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => continue,
                Err(fs::TryLockError::Error(e)) => return Err(io(e)),
            }
            let text = fs::read_to_string(&path).map_err(io)?;
            // A line cut off by the kill names a blob that was never written.
            let blobs = text.lines().filter_map(|line| BlobId::parse(line).ok()).collect();
            found.push((Journal { file, path }, blobs));
        }
        Ok(found)
    }
}

/// Writes a blob to a temporary file, synced if `sync`, then renamed into
/// place; what fails leaves no file behind.
fn write(dir: &Path, id: &BlobId, sealed: &[u8], sync: bool) -> Result<(), StoreError> {
    let path = dir.join(id.as_str());
    let temp = dir.join(format!(".{id}.tmp"));
    let written = fs::File::create(&temp).and_then(|mut file| {
        file.write_all(sealed)?;
        if sync {
            file.sync_all()?;
        }
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

fn remove(path: &Path, context: &'static str) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StoreError::Io { context, path: path.to_path_buf(), source: e }),
        _ => Ok(()),
    }
}

/// When a blob written by [`BlobStore::put`] is on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durable {
    /// Before `put` returns: its file is synced.
    Now,
    /// Before the transaction naming it commits: `put` gives it to the
    /// write-behind, and the store holding commits for a load waits for
    /// that and syncs the blobs' file system before each commit (see
    /// [`crate::Store::hold_commits`]), once for thousands of blobs.
    ByCommit,
}

/// The blobs one operation writes or erases, named before they are
/// touched; see the module's documentation.
#[derive(Debug)]
pub struct Journal {
    file: fs::File,
    path: PathBuf,
}

impl Journal {
    /// Names blobs the operation is about to write or erase. Written
    /// straight to the file: a process that is killed loses nothing the
    /// operating system was given.
    pub fn note(&mut self, blobs: &[BlobId]) -> Result<(), StoreError> {
        let lines: String = blobs.iter().map(|blob| format!("{blob}\n")).collect();
        self.file.write_all(lines.as_bytes()).map_err(|source| StoreError::Io { context: "cannot write a blob journal", path: self.path.clone(), source })
    }

    /// The operation has ended and its blobs are as its rows say: the
    /// journal goes (its lock with it).
    pub fn close(self) -> Result<(), StoreError> {
        remove(&self.path, "cannot remove a blob journal")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_is_found_abandoned_only_once_its_holder_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open(dir.path()).unwrap();
        let (written, erased) = (BlobId::random(), BlobId::random());
        let mut journal = blobs.journal().unwrap();
        journal.note(&[written.clone(), erased.clone()]).unwrap();
        assert!(blobs.abandoned().unwrap().is_empty(), "a journal in use is not abandoned");
        // What a killed process leaves: the file, its lock gone with the process.
        drop(journal);
        let found = blobs.abandoned().unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, vec![written, erased]);
        for (journal, _) in found {
            journal.close().unwrap();
        }
        assert!(blobs.abandoned().unwrap().is_empty());
        let closed = blobs.journal().unwrap();
        closed.close().unwrap();
        assert!(blobs.abandoned().unwrap().is_empty(), "a closed journal is gone");
    }

    #[test]
    fn the_write_behind_takes_a_blob_larger_than_it_holds_and_then_waits_for_room() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open(dir.path()).unwrap();
        let (large, next) = (BlobId::random(), BlobId::random());
        // Larger than the write-behind holds: taken alone, not waited on forever.
        let large_bytes = vec![7u8; WRITE_BEHIND_BYTES + 1];
        blobs.put(&large, &large_bytes, Durable::ByCommit).unwrap();
        // Does not fit beside it: waits until it is written.
        blobs.put(&next, &[8u8; 1 << 20], Durable::ByCommit).unwrap();
        blobs.sync_written().unwrap();
        assert_eq!(blobs.get(&large).unwrap(), large_bytes);
        assert_eq!(blobs.get(&next).unwrap(), vec![8u8; 1 << 20]);
    }

    // req: I.SEC
    #[test]
    fn a_blob_that_cannot_be_put_in_place_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open(dir.path()).unwrap();
        let id = BlobId::random();
        // Something already stands where the blob should go.
        fs::create_dir(dir.path().join(id.as_str())).unwrap();
        fs::write(dir.path().join(id.as_str()).join("x"), b"x").unwrap();
        assert!(blobs.put(&id, b"sealed", Durable::Now).is_err());
        let left: Vec<_> =
            fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).filter(|name| !name.to_string_lossy().starts_with(".journal")).collect();
        assert_eq!(left, vec![std::ffi::OsString::from(id.as_str())], "only what was there before");
    }
}
