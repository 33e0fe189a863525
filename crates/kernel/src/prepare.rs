//! Audit entries made ready for the log off the writing thread.
//!
//! Before an entry is chained, its canonical JSON is written, hashed into
//! its leaf and packed as the store keeps it ([`Ready`]). None of that needs
//! the log or its writer, yet in a bulk load it took about a sixth of the
//! writing thread's time while the second core stood almost idle
//! (BENCHMARKS.md, twenty-third session).
//!
//! So during a load ([`Kernel::loading`](crate::Kernel::loading)) a unit
//! hands each entry, as it makes it, to a thread of the load's own (the
//! preparer), which makes it ready while the unit goes on with its work.
//! When the unit chains its entries, it makes ready itself any the
//! preparer has not started, and waits for one the preparer is on: a unit
//! never waits longer than one entry takes, and an entry is made ready
//! once, by whichever thread gets to it first. Outside a load an entry is
//! made ready when it is chained: a request's few entries are not worth
//! waking a thread for.
//!
//! The preparer spins a while before it sleeps: in a load an entry comes
//! every few tens of microseconds, and waking a sleeping thread for each
//! would cost the writing thread about what it hands over.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use grondslag_audit::{Entry, Hashed};
use grondslag_store::{PackedEntry, StoreError, pack_audit_entry};

/// How often the idle preparer looks for work (yielding the core between
/// looks) before it sleeps: about a millisecond.
const LOOKS_BEFORE_SLEEP: u32 = 2_000;

/// How often a unit waiting for the entry the preparer is on spins before
/// it yields the core (the preparer may have been preempted).
const SPINS_BEFORE_YIELD: u32 = 200;

/// An entry's canonical JSON and leaf hash, and its packed form.
#[derive(Clone, Debug)]
pub(crate) struct Ready {
    pub(crate) hashed: Hashed,
    pub(crate) packed: PackedEntry,
}

impl Ready {
    fn of(entry: &Entry) -> Result<Ready, StoreError> {
        let hashed = Hashed::of(entry);
        let packed = pack_audit_entry(&hashed.entry)?;
        Ok(Ready { hashed, packed })
    }
}

/// An audit entry on its way to the log.
#[derive(Debug)]
pub(crate) enum Made {
    /// To be made ready when it is chained.
    Here(Box<Entry>),
    /// Handed to the preparer.
    Handed(Arc<Job>),
}

impl Made {
    pub(crate) fn here(entry: Entry) -> Made {
        Made::Here(Box::new(entry))
    }

    pub(crate) fn entry(&self) -> &Entry {
        match self {
            Made::Here(entry) => entry,
            Made::Handed(job) => &job.entry,
        }
    }

    /// The entry made ready: taken from the preparer if it has made it
    /// ready or is on it, made here if it has not started.
    pub(crate) fn ready(&self) -> Result<Ready, StoreError> {
        let job = match self {
            Made::Here(entry) => return Ready::of(entry),
            Made::Handed(job) => job,
        };
        let mut spins = 0;
        loop {
            match job.state.load(Ordering::Acquire) {
                READY => {
                    if let Some(ready) = job.ready().as_ref() {
                        return Ok(ready.clone());
                    }
                    // Not reached: the state is set after the value.
                    return Ready::of(&job.entry);
                }
                OPEN if job.take() => return job.make_ready(),
                _ if spins < SPINS_BEFORE_YIELD => {
                    spins += 1;
                    std::hint::spin_loop();
                }
                _ => std::thread::yield_now(),
            }
        }
    }
}

/// Not started: the first thread to take it makes it ready.
const OPEN: u8 = 0;
/// Being made ready.
const TAKEN: u8 = 1;
/// Made ready: the value is in `ready`.
const READY: u8 = 2;

/// An entry handed to the preparer.
#[derive(Debug)]
pub(crate) struct Job {
    entry: Entry,
    state: AtomicU8,
    ready: Mutex<Option<Ready>>,
}

impl Job {
    /// Claims the job for this thread, if nobody has.
    fn take(&self) -> bool {
        self.state.compare_exchange(OPEN, TAKEN, Ordering::Acquire, Ordering::Relaxed).is_ok()
    }

    /// Makes the taken job ready and keeps the value for whoever asks. A
    /// failure leaves it open, for the unit to meet the same failure when
    /// it makes the entry ready itself.
    fn make_ready(&self) -> Result<Ready, StoreError> {
        let made = Ready::of(&self.entry);
        match &made {
            Ok(ready) => {
                *self.ready() = Some(ready.clone());
                self.state.store(READY, Ordering::Release);
            }
            Err(_) => self.state.store(OPEN, Ordering::Release),
        }
        made
    }

    fn ready(&self) -> MutexGuard<'_, Option<Ready>> {
        // Only whole values are ever stored.
        self.ready.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The thread that makes a load's audit entries ready; stopped when dropped.
#[derive(Debug)]
pub(crate) struct Preparer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when a job is queued for a sleeping preparer, or it is to stop.
    queued: Condvar,
}

#[derive(Debug, Default)]
struct Queue {
    jobs: VecDeque<Arc<Job>>,
    asleep: bool,
    stopping: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // The queue is changed only by whole pushes and pops.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self) {
        let mut queue = self.lock();
        let mut looks = 0;
        loop {
            if let Some(job) = queue.jobs.pop_front() {
                drop(queue);
                looks = 0;
                if job.take() {
                    // A failure is the unit's to meet (see `make_ready`).
                    if let Err(e) = job.make_ready() {
                        tracing::debug!(error = %e, "could not make an audit entry ready; the unit makes it ready itself");
                    }
                }
                queue = self.lock();
            } else if queue.stopping {
                return;
            } else if looks < LOOKS_BEFORE_SLEEP {
                drop(queue);
                looks += 1;
                std::thread::yield_now();
                queue = self.lock();
            } else {
                queue.asleep = true;
                queue = self.queued.wait(queue).unwrap_or_else(PoisonError::into_inner);
                queue.asleep = false;
                looks = 0;
            }
        }
    }
}

impl Preparer {
    /// Starts the thread; `None`, with a warning, if the system will not
    /// give one, and the load makes its entries ready on its own thread.
    pub(crate) fn start() -> Option<Preparer> {
        let shared = Arc::new(Shared::default());
        let running = Arc::clone(&shared);
        match std::thread::Builder::new().name("audit-preparer".to_string()).spawn(move || running.run()) {
            Ok(thread) => Some(Preparer { shared, thread: Some(thread) }),
            Err(e) => {
                tracing::warn!(error = %e, "cannot start the thread that makes audit entries ready; the load makes them ready itself");
                None
            }
        }
    }

    /// Hands `entry` to the preparer.
    pub(crate) fn hand(&self, entry: Entry) -> Made {
        let job = Arc::new(Job { entry, state: AtomicU8::new(OPEN), ready: Mutex::new(None) });
        let mut queue = self.shared.lock();
        queue.jobs.push_back(Arc::clone(&job));
        let asleep = queue.asleep;
        drop(queue);
        if asleep {
            self.shared.queued.notify_one();
        }
        Made::Handed(job)
    }
}

impl Drop for Preparer {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.queued.notify_one();
        if let Some(Err(e)) = self.thread.take().map(JoinHandle::join) {
            tracing::error!(panic = ?e, "the thread that made audit entries ready stopped abnormally");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use grondslag_audit::{Outcome, SpanId, TraceId};

    use super::*;

    fn entry(n: u8) -> Entry {
        Entry {
            timestamp: jiff::Timestamp::from_second(1_800_000_000 + i64::from(n)).unwrap(),
            trace_id: TraceId([n; 16]),
            span_id: SpanId([n; 8]),
            parent_span_id: None,
            foreign_operation: None,
            processing_activity_id: "https://register.example/processing_activities/p/versions/1".into(),
            processing: "p".into(),
            data_subject_id: Some(format!("subject-{n}")),
            data_subject_id_type: None,
            actor: "carla".into(),
            role: "case_handler".into(),
            action: "read".into(),
            object: format!("record-{n}"),
            categories: vec!["naam".into()],
            outcome: Outcome::Allowed,
            status_code: Outcome::Allowed.status_code(),
            reason: "reviewing the claim".into(),
            origin: "test".into(),
        }
    }

    fn made_here(entry: &Entry) -> Ready {
        Ready::of(entry).unwrap()
    }

    fn same(a: &Ready, b: &Ready) -> bool {
        a.hashed == b.hashed && a.packed == b.packed
    }

    fn handed(entry: Entry, state: u8) -> Arc<Job> {
        Arc::new(Job { entry, state: AtomicU8::new(state), ready: Mutex::new(None) })
    }

    // req: INV2
    #[test]
    fn entries_handed_to_the_preparer_are_made_ready_as_the_unit_would_make_them() {
        let preparer = Preparer::start().unwrap();
        let made: Vec<(Entry, Made)> = (0..200).map(|n| (entry(n), preparer.hand(entry(n)))).collect();
        // Some the preparer made, some it had not started when asked.
        std::thread::sleep(Duration::from_millis(5));
        for (entry, made) in &made {
            assert_eq!(made.entry(), entry);
            assert!(same(&made.ready().unwrap(), &made_here(entry)), "{entry:?}");
        }
        drop(preparer);
    }

    #[test]
    fn an_entry_nobody_started_is_made_ready_by_the_unit_once_and_kept() {
        let job = handed(entry(1), OPEN);
        let made = Made::Handed(Arc::clone(&job));
        assert!(same(&made.ready().unwrap(), &made_here(&entry(1))));
        assert_eq!(job.state.load(Ordering::Acquire), READY);
        // Asked again (a transaction run again), it is the same.
        assert!(same(&made.ready().unwrap(), &made_here(&entry(1))));
    }

    #[test]
    fn a_unit_waits_for_the_entry_the_preparer_is_on_and_takes_what_it_made() {
        let job = handed(entry(1), TAKEN);
        let made = Made::Handed(Arc::clone(&job));
        let preparer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            // Distinguishable from what the unit would make itself.
            *job.ready() = Some(made_here(&entry(2)));
            job.state.store(READY, Ordering::Release);
        });
        assert!(same(&made.ready().unwrap(), &made_here(&entry(2))), "the unit made the entry itself instead of waiting");
        preparer.join().unwrap();
    }

    #[test]
    fn a_preparer_asleep_wakes_for_the_next_entry_and_stops_when_dropped() {
        let until = |what: &str, done: &dyn Fn() -> bool| {
            for _ in 0..5_000 {
                if done() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            panic!("{what} did not happen within 5 s");
        };
        let preparer = Preparer::start().unwrap();
        until("the preparer falling asleep", &|| preparer.shared.lock().asleep);
        let Made::Handed(job) = preparer.hand(entry(3)) else { panic!("not handed") };
        until("the preparer making the entry ready", &|| job.state.load(Ordering::Acquire) == READY);
        drop(preparer);
    }
}
