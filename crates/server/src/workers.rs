//! The threads the kernel's work runs on.
//!
//! The kernel and its store block, so a handler hands its work to a thread
//! and awaits the answer. That used to be tokio's blocking pool, which
//! starts a thread for each piece of work while none is idle, up to 512:
//! under sixteen connections the server kept some eighty threads, woke one
//! for every piece (a case read is two: the session, then the read) and
//! let them take turns on two cores, each with its own reading connection
//! and page cache. Measured, a case read cost the server 230 µs of
//! processor time that way, and 160 µs on eight threads (BENCHMARKS.md,
//! twenty-fifth session).
//!
//! So the work runs on a fixed number of threads, sized to the machine,
//! that take it in the order it came: under load, a thread that finishes
//! takes the next piece without sleeping, and nobody is woken for it.
//! Work that may wait long for something else — a broker's answer, a turn
//! at the password check — does not run here, or a slow broker or a flood
//! of sign-ins would hold every thread the rest of the service needs; see
//! [`crate::state::AppState::run_waiting`].

use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use crate::error::ServerError;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed number of threads taking work from one queue, in order.
#[derive(Debug)]
pub(crate) struct Workers {
    /// Closed by [`Workers::finish`] (or dropped with the service): the
    /// threads then end once the queue is empty.
    queue: Mutex<Option<Sender<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Workers {
    /// Starts `count` threads.
    pub(crate) fn start(count: NonZeroUsize) -> Result<Workers, ServerError> {
        let (queue, jobs) = channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        let mut threads = Vec::with_capacity(count.get());
        for n in 0..count.get() {
            let jobs = Arc::clone(&jobs);
            let thread = std::thread::Builder::new()
                .name(format!("worker-{n}"))
                .spawn(move || work_through(&jobs))
                .map_err(|e| ServerError::Internal(format!("cannot start worker thread {n}: {e}")))?;
            threads.push(thread);
        }
        Ok(Workers { queue: Mutex::new(Some(queue)), threads: Mutex::new(threads) })
    }

    /// Takes no more work, and returns once the threads have done all they
    /// were given: the service stops, and the audit log is sealed after the
    /// last write, not beside it. Not to be called on a worker thread.
    pub(crate) fn finish(&self) {
        drop(self.queue.lock().unwrap_or_else(PoisonError::into_inner).take());
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(PoisonError::into_inner));
        for thread in threads {
            if thread.join().is_err() {
                tracing::error!("a worker thread panicked outside its work");
            }
        }
    }

    /// Runs `work` on one of the threads, and hands back its answer; a
    /// piece of work that panics fails alone, and its thread goes on.
    pub(crate) async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, ServerError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // Nobody waits for it any more (the client left, or its time
            // ran out while the work queued): not started, it is not done,
            // so an overloaded service sheds what it could only answer late.
            if answer.is_closed() {
                return;
            }
            let outcome = catch_unwind(AssertUnwindSafe(work));
            // The request may have gone meanwhile; the work is done all
            // the same, and its answer unread.
            let _unread = answer.send(outcome);
        });
        let sent = self.queue.lock().unwrap_or_else(PoisonError::into_inner).as_ref().is_some_and(|queue| queue.send(job).is_ok());
        if !sent {
            return Err(ServerError::Internal("the service is stopping and takes no more work".to_string()));
        }
        match answered.await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(panic)) => Err(ServerError::Internal(format!("a worker thread failed: {}", panic_message(panic.as_ref())))),
            Err(_) => Err(ServerError::Internal("a worker thread stopped before it answered".to_string())),
        }
    }
}

/// One thread's life: the next job, until the queue is closed.
fn work_through(jobs: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held while waiting: the threads queue on it, and the
        // one holding it takes the next job as it comes.
        let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic.downcast_ref::<&str>().copied().or_else(|| panic.downcast_ref::<String>().map(String::as_str)).unwrap_or("a panic")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_piece_of_work_that_panics_fails_alone_and_its_thread_goes_on() {
        let workers = Workers::start(NonZeroUsize::MIN).unwrap();
        let failed = workers.run(|| -> u32 { panic!("the work broke") }).await;
        assert!(matches!(&failed, Err(ServerError::Internal(why)) if why.contains("the work broke")), "{failed:?}");
        assert_eq!(workers.run(|| 42).await.unwrap(), 42, "the one thread took the next piece");
    }

    /// One thread, and a piece of work on it from a task of its own (as a
    /// handler's) that says when it started and then runs `rest`.
    fn busy_with(rest: impl FnOnce() + Send + 'static) -> (Arc<Workers>, tokio::task::JoinHandle<Result<(), ServerError>>) {
        let workers = Arc::new(Workers::start(NonZeroUsize::MIN).unwrap());
        let (started_to, started) = std::sync::mpsc::channel();
        let running = tokio::spawn({
            let workers = Arc::clone(&workers);
            async move {
                workers
                    .run(move || {
                        started_to.send(()).unwrap();
                        rest();
                    })
                    .await
            }
        });
        started.recv().unwrap();
        (workers, running)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn work_nobody_waits_for_any_more_is_not_started() {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (workers, holding) = busy_with(move || released.recv().unwrap());
        // Queued behind it, then given up by its caller.
        let done = Arc::new(AtomicBool::new(false));
        let abandoned = {
            let done = Arc::clone(&done);
            workers.run(move || done.store(true, Ordering::SeqCst))
        };
        let mut abandoned = Box::pin(abandoned);
        let waker = std::task::Waker::noop();
        assert!(abandoned.as_mut().poll(&mut std::task::Context::from_waker(waker)).is_pending(), "queued behind the busy thread");
        drop(abandoned);
        release.send(()).unwrap();
        holding.await.unwrap().unwrap();
        // The next piece runs after the abandoned one would have.
        assert_eq!(workers.run(|| 7).await.unwrap(), 7);
        assert!(!done.load(Ordering::SeqCst), "the abandoned work ran");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn finishing_waits_for_the_work_given_and_takes_no_more() {
        let done = Arc::new(AtomicBool::new(false));
        let finished = Arc::clone(&done);
        let (workers, running) = busy_with(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            finished.store(true, Ordering::SeqCst);
        });
        workers.finish();
        assert!(done.load(Ordering::SeqCst), "finish returned before the work in hand was done");
        running.await.unwrap().unwrap();
        let refused = workers.run(|| ()).await;
        assert!(matches!(&refused, Err(ServerError::Internal(why)) if why.contains("stopping")), "{refused:?}");
    }
}
