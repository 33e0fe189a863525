//! Audit entries written after their unit, appended together.
//!
//! A reading unit's entries (its reads and refusals), and a rolled-back
//! unit's refusals and failures, are written once the unit has ended, in a
//! write transaction of their own, before the caller gets its answer. On a
//! busy service that was one transaction per read, each taking the chains'
//! heads, inserting its rows and handing the one writer on — and those
//! writes, not the reads, set how many reads a second the service answered.
//!
//! So such entries queue here. A caller that finds no append under way
//! appends everything queued — its own entries and those of every caller
//! that arrived meanwhile — in one transaction; the others wait for that
//! transaction's outcome, which is theirs: each caller's entries, in the
//! order it brought them, are written with the batch or not at all, and a
//! caller whose batch failed fails as its leader does (a read whose entries
//! were not written hands nothing back). Alone, a caller appends at once.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use grondslag_audit::Entry;
use grondslag_store::StoreError;

use crate::KernelError;

#[derive(Debug, Default)]
pub(crate) struct Appender {
    queue: Mutex<Queue>,
    /// Signalled when a batch has been appended, or has failed.
    appended: Condvar,
}

#[derive(Debug, Default)]
struct Queue {
    /// The entries of the next batch, in the order their callers came.
    entries: Vec<Entry>,
    /// The callers whose entries those are.
    members: usize,
    /// The number of the next batch.
    next: u64,
    /// Batches below this number are appended or failed; the one between
    /// it and `next`, if any, is being appended.
    done_below: u64,
    /// Failed batches: why, and how many waiting callers still have to read it.
    failures: HashMap<u64, (usize, String)>,
}

impl Appender {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        // A leader that panics marks its batch failed before the lock is
        // released (`Leading`), so the queue is consistent.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `entries` with those of the callers waiting beside this one,
    /// through `write` (one transaction): `Ok` once they are in the log.
    pub(crate) fn append(&self, entries: Vec<Entry>, write: impl FnOnce(&[Entry]) -> Result<(), KernelError>) -> Result<(), KernelError> {
        let mut queue = self.queue();
        let batch = queue.next;
        queue.entries.extend(entries);
        queue.members += 1;
        while queue.appending() && queue.done_below <= batch {
            queue = self.appended.wait(queue).unwrap_or_else(PoisonError::into_inner);
        }
        if queue.done_below > batch {
            return queue.outcome(batch);
        }
        // Nobody is appending and this caller's batch has not run: it
        // appends the batch, whoever else's entries are in it.
        queue.next += 1;
        let entries = std::mem::take(&mut queue.entries);
        // Failed until `write` returns: a leader that unwinds fails its batch.
        let mut leading =
            Leading { appender: self, batch, others: std::mem::take(&mut queue.members) - 1, failure: Some("the caller appending them stopped".to_string()) };
        drop(queue);
        let written = write(&entries);
        leading.failure = written.as_ref().err().map(ToString::to_string);
        drop(leading);
        written
    }
}

impl Queue {
    fn appending(&self) -> bool {
        self.done_below < self.next
    }

    /// What became of `batch`, appended by another caller.
    fn outcome(&mut self, batch: u64) -> Result<(), KernelError> {
        let Some((waiting, why)) = self.failures.get_mut(&batch) else { return Ok(()) };
        let why = why.clone();
        *waiting -= 1;
        if *waiting == 0 {
            self.failures.remove(&batch);
        }
        Err(KernelError::Store(StoreError::Commit(format!("the audit entries written together with this operation's failed: {why}"))))
    }
}

/// The batch a caller appends; dropped, it is done, and its waiting callers
/// learn how it went.
struct Leading<'a> {
    appender: &'a Appender,
    batch: u64,
    /// The other callers whose entries were in the batch.
    others: usize,
    failure: Option<String>,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        let mut queue = self.appender.queue();
        queue.done_below = self.batch + 1;
        if self.others > 0
            && let Some(why) = self.failure.take()
        {
            queue.failures.insert(self.batch, (self.others, why));
        }
        drop(queue);
        self.appender.appended.notify_all();
    }
}
