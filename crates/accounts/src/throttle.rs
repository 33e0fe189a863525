//! What keeps guessing slow and cheap for us: every attempt is counted
//! against its name's lock *before* it is checked, and password checks —
//! argon2id, 19 MiB of memory each — take turns through a [`Gate`] of a
//! fixed width, so a flood of sign-ins queues instead of exhausting memory.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use grondslag_kernel::{LoginCharge, LoginLock};
use jiff::Timestamp;

use crate::{AccountError, Accounts};

/// At most `width` holders at once; others wait, for a while.
#[derive(Debug)]
pub(crate) struct Gate {
    width: usize,
    inside: Mutex<usize>,
    freed: Condvar,
}

/// A place in the [`Gate`], given back when dropped.
#[derive(Debug)]
pub(crate) struct Pass<'g> {
    gate: &'g Gate,
}

impl Gate {
    pub(crate) fn new(width: usize) -> Gate {
        Gate { width: width.max(1), inside: Mutex::new(0), freed: Condvar::new() }
    }

    /// A place, once one is free within `patience`; `None` if none came.
    pub(crate) fn enter(&self, patience: Duration) -> Option<Pass<'_>> {
        let inside = self.inside.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut inside, waited) = self.freed.wait_timeout_while(inside, patience, |inside| *inside >= self.width).unwrap_or_else(PoisonError::into_inner);
        if waited.timed_out() && *inside >= self.width {
            return None;
        }
        *inside += 1;
        Some(Pass { gate: self })
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let mut inside = self.gate.inside.lock().unwrap_or_else(PoisonError::into_inner);
        *inside = inside.saturating_sub(1);
        self.gate.freed.notify_one();
    }
}

/// How long a sign-in waits for a place in the password gate before it is
/// told to try again: longer than a burst of honest sign-ins takes.
const PATIENCE: Duration = Duration::from_secs(10);

/// What a successful attempt does to the count.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Settle {
    /// The password was right and the second factor is still due: this
    /// attempt's count is given back, earlier failures stay.
    Refund,
    /// Signed in: the count is forgotten.
    Clear,
}

impl Accounts {
    /// Runs `check` (an attempt under `username`: `Some` when it proved
    /// itself) counted against the name's lock: refused unchecked while the
    /// name is locked; a failure stays counted and is told as `wrong`, or
    /// as the lock it caused.
    pub(crate) fn attempt<T>(
        &self,
        username: &str,
        now: Timestamp,
        wrong: AccountError,
        settle: Settle,
        check: impl FnOnce() -> Result<Option<T>, AccountError>,
    ) -> Result<T, AccountError> {
        let lock = LoginLock { max_failures: self.policy.max_failures, duration: self.policy.lock };
        let (locks, until) = match self.kernel.charge_login_attempt(username, &lock, now)? {
            LoginCharge::Locked { until } => return Err(AccountError::Locked { until }),
            LoginCharge::Charged { locks, until } => (locks, until),
        };
        let checked = match check() {
            // Nothing was checked: the attempt is given back.
            Err(AccountError::Busy) => {
                self.kernel.refund_login_attempt(username)?;
                return Err(AccountError::Busy);
            }
            checked => checked?,
        };
        match checked {
            Some(proved) => {
                match settle {
                    Settle::Refund => self.kernel.refund_login_attempt(username)?,
                    Settle::Clear => self.kernel.clear_login_failures(username, now)?,
                }
                Ok(proved)
            }
            None if locks => Err(AccountError::Locked { until }),
            None => Err(wrong),
        }
    }

    /// Whether `password` is the one `hash` was made from, checked when the
    /// password gate has a place.
    pub(crate) fn verify_password(&self, hash: &str, password: &str) -> Result<bool, AccountError> {
        let _pass = self.password_gate.enter(PATIENCE).ok_or(AccountError::Busy)?;
        Ok(grondslag_kernel::verify_password(hash, password))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn the_gate_lets_no_more_than_its_width_in_at_once() {
        let gate = Arc::new(Gate::new(2));
        let (inside, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (gate, inside, most) = (gate.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    let _pass = gate.enter(Duration::from_secs(30)).unwrap();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_full_gate_turns_away_whoever_waited_too_long() {
        let gate = Gate::new(1);
        let held = gate.enter(Duration::ZERO).unwrap();
        assert!(gate.enter(Duration::from_millis(30)).is_none());
        drop(held);
        assert!(gate.enter(Duration::ZERO).is_some());
    }
}
