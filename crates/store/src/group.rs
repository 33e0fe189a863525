//! Group commit, for SQLite's one writer.
//!
//! One connection writes. A caller that finishes its work while others
//! queue for the connection leaves the database transaction open and waits,
//! and the last of the queue commits for all. Each caller's work runs in its
//! own savepoint, so a failure undoes only that caller's part. Under load,
//! one commit (one fsync) serves many operations; alone, a caller commits at
//! once.
//!
//! A bulk load (`generate`) can hold commits instead ([`Group::hold`]): a
//! group then takes a fixed number of operations, however they arrive;
//! callers return without waiting for its commit, and an operation that
//! fails takes the whole group with it, as a failed commit does. The pages
//! an operation changes — most of them leaves of indexes on random keys,
//! each a whole page in the WAL at every commit that touches it — are then
//! written once for many operations, not once for each.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::sql::{Db, LogTail, SqlTx};
use crate::{BlobStore, StoreError, Tx};

/// At most this many operations share one commit, so a steady stream of
/// writers still commits regularly.
const MAX_GROUP: usize = 64;

#[derive(Debug)]
pub(crate) struct Group<C> {
    writer: Mutex<Writer<C>>,
    /// Signalled when a group commits.
    committed: Condvar,
    /// Callers queued for the writer: while there are any, a finished caller
    /// leaves the group open for them.
    queued: AtomicUsize,
    /// What opens a write transaction on this database.
    begin: &'static str,
    /// While commits are held ([`Group::hold`]), the operations a group
    /// takes before it commits; 0 otherwise. Kept outside the writer's
    /// lock: a read must not wait for a write to learn that it runs on a
    /// reading connection as ever.
    held: AtomicUsize,
}

#[derive(Debug)]
struct Writer<C> {
    connection: C,
    /// The group whose transaction is open.
    open: Option<OpenGroup>,
    next_group: u64,
    /// Groups committed so far are all those below this number.
    committed_below: u64,
    /// Failed commits, with how many waiting callers still have to read it.
    failures: HashMap<u64, (usize, String)>,
    /// While commits are held, the blobs made durable before each commit
    /// (see [`Group::hold`]).
    blobs_first: Option<BlobStore>,
    /// The audit log's tail as the open group's transaction left it.
    tail: LogTail,
}

#[derive(Debug, Clone, Copy)]
struct OpenGroup {
    number: u64,
    /// Callers whose work is in it.
    members: usize,
    /// Members waiting for its commit, to learn how it ended: every member
    /// but the one that ends it, unless commits are held, when most
    /// return without waiting.
    waiting: usize,
}

impl<C: Db> Group<C> {
    pub fn new(connection: C, begin: &'static str) -> Group<C> {
        Group {
            writer: Mutex::new(Writer {
                connection,
                open: None,
                next_group: 0,
                committed_below: 0,
                failures: HashMap::new(),
                blobs_first: None,
                tail: LogTail::default(),
            }),
            committed: Condvar::new(),
            queued: AtomicUsize::new(0),
            begin,
            held: AtomicUsize::new(0),
        }
    }

    fn writer(&self) -> MutexGuard<'_, Writer<C>> {
        // Poisoning means a caller panicked; `transaction` has then already
        // rolled its group back, so the writer is consistent.
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Commits (or, after a failure, rolls back) the open group and wakes
    /// its waiting members.
    fn finish_group(&self, writer: &mut Writer<C>, outcome: Result<(), String>) -> Result<(), String> {
        // Once the transaction ends, another connection may append.
        writer.tail = LogTail::default();
        let Some(OpenGroup { number: group, waiting, .. }) = writer.open.take() else { return outcome };
        let outcome = outcome
            .and_then(|()| writer.blobs_first.as_ref().map_or(Ok(()), BlobStore::sync_written).map_err(|e| e.to_string()))
            .and_then(|()| writer.connection.batch("committing", "COMMIT").map_err(|e| e.to_string()));
        if let Err(message) = &outcome {
            // A failed COMMIT may leave the transaction open; end it.
            if writer.connection.in_transaction() {
                let _rolled_back = writer.connection.rollback("rolling back");
            }
            if waiting > 0 {
                writer.failures.insert(group, (waiting, message.clone()));
            }
        }
        writer.committed_below = group + 1;
        self.committed.notify_all();
        outcome
    }

    pub fn transaction(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let mut writer = self.writer();
        self.queued.fetch_sub(1, Ordering::SeqCst);

        let (group, joined) = match &mut writer.open {
            Some(open) => {
                open.members += 1;
                (open.number, true)
            }
            None => {
                if let Err(e) = writer.connection.batch("starting a transaction", self.begin) {
                    if writer.connection.in_transaction() {
                        let _rolled_back = writer.connection.rollback("rolling back");
                    }
                    return Err(e);
                }
                let group = writer.next_group;
                writer.next_group += 1;
                writer.open = Some(OpenGroup { number: group, members: 1, waiting: 0 });
                (group, false)
            }
        };
        // Who opens a group works in it alone (the others join once it is
        // done), so its failure rolls back the whole transaction; only a
        // caller joining an open group needs a savepoint of its own. Not
        // while commits are held: a held load stops at its first failure,
        // which then takes the whole group, as a failed commit does. A
        // savepoint copies each page before the caller first changes it, a
        // whole page for a few rows, and that was 7 % of `generate`.
        let held = self.held.load(Ordering::SeqCst);
        let savepoint = joined && held == 0;
        if savepoint && let Err(e) = writer.connection.batch("starting a savepoint", "SAVEPOINT work") {
            let _ = self.finish_group(&mut writer, Err(e.to_string()));
            return Err(e);
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let Writer { connection, tail, .. } = &mut *writer;
            work(&mut SqlTx::keeping(connection, tail))
        }));
        let result = match outcome {
            Ok(result) => result,
            Err(panic) => {
                // Roll the whole group back and tell its members, rather
                // than leave them waiting on a transaction nobody ends.
                if writer.connection.in_transaction() {
                    let _rolled_back = writer.connection.rollback("rolling back");
                }
                let _ = self.finish_group(&mut writer, Err("a transaction in the same group panicked".to_string()));
                drop(writer);
                std::panic::resume_unwind(panic);
            }
        };
        if !savepoint && let Err(e) = &result {
            // Nothing else is in the transaction, or what is goes with it
            // (held): it goes as a whole.
            let _ = self.finish_group(&mut writer, Err(e.to_string()));
            return result;
        }
        let undo = if result.is_ok() { "RELEASE work" } else { "ROLLBACK TO work; RELEASE work" };
        if result.is_err() {
            // What it appended is undone.
            writer.tail = LogTail::default();
        }
        if savepoint && let Err(e) = writer.connection.batch("ending a savepoint", undo) {
            let _ = self.finish_group(&mut writer, Err(e.to_string()));
            return Err(e);
        }

        let members = writer.open.map_or(0, |open| open.members);
        if held > 0 && members < held {
            // Committed with the group, by the caller that fills it or by
            // `release`.
            return result;
        }
        let commit = if self.queued.load(Ordering::SeqCst) > 0 && members < MAX_GROUP {
            // Someone is about to take the writer: let them join this group
            // and commit for both.
            if let Some(open) = &mut writer.open {
                open.waiting += 1;
            }
            while writer.committed_below <= group {
                writer = self.committed.wait(writer).unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            match writer.failures.get_mut(&group) {
                None => Ok(()),
                Some((readers, message)) => {
                    let message = message.clone();
                    *readers -= 1;
                    if *readers == 0 {
                        writer.failures.remove(&group);
                    }
                    Err(message)
                }
            }
        } else {
            self.finish_group(&mut writer, Ok(()))
        };
        result?;
        commit.map_err(StoreError::Commit)
    }

    /// Holds commits until [`Group::release`]: a group commits once it
    /// holds `ops` operations, and a caller returns as soon as its own
    /// work is done. A failed commit fails the operation that filled the
    /// group, and a failed operation fails itself; either way the
    /// operations before it in the group, told they succeeded, are lost
    /// with it — so only a caller that checks the outcome of the whole
    /// load, and stops at the first failure, holds commits.
    /// `setup` is run on the writer first (SQLite: a page cache large
    /// enough for a held group). Before each commit the blobs written to
    /// `blobs` are made durable, so the load need not sync each of them.
    pub fn hold(&self, ops: usize, setup: &str, blobs: &BlobStore) -> Result<(), StoreError> {
        let mut writer = self.writer();
        writer.connection.batch("holding commits", setup)?;
        writer.blobs_first = Some(blobs.clone());
        self.held.store(ops.max(1), Ordering::SeqCst);
        Ok(())
    }

    /// Commits what is held and ends holding: from here on each caller's
    /// work is committed before its call returns. `restore` undoes what
    /// [`Group::hold`]'s `setup` did, once the commit is done.
    pub fn release(&self, restore: &str) -> Result<(), StoreError> {
        let mut writer = self.writer();
        self.held.store(0, Ordering::SeqCst);
        let committed = self.finish_group(&mut writer, Ok(())).map_err(StoreError::Commit);
        writer.blobs_first = None;
        // Restored even after a failed commit: the writer goes on serving.
        let restored = writer.connection.batch("ending holding commits", restore);
        committed.and(restored)
    }

    /// While commits are held, runs `work` on the writer — inside the group
    /// held open, so that it sees what the load wrote so far — and undoes
    /// whatever it wrote; `None` when commits are not held (a read then
    /// runs on a reading connection, which sees only what was committed).
    pub fn read_while_held(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Option<Result<(), StoreError>> {
        if self.held.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let mut writer = self.writer();
        if writer.open.is_none() {
            return Some(crate::sql::read_only(&mut writer.connection, "BEGIN", work));
        }
        if let Err(e) = writer.connection.batch("starting a savepoint", "SAVEPOINT reading") {
            return Some(Err(e));
        }
        let result = work(&mut SqlTx::new(&mut writer.connection, true));
        let undone = writer.connection.batch("ending a read", "ROLLBACK TO reading; RELEASE reading");
        Some(result.and(undone))
    }
}
