//! The one integration-test binary: real SQLite files in temporary
//! directories, the real `grondslag` binary, the shipped register.

// Helpers outside `#[test]` fns (openers, fixtures, assertions) are test code
// too, but clippy's allow-*-in-tests only covers the test fns themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod access_report;
mod actors;
mod api_fuzz;
mod audit;
mod broker;
mod browser;
mod callqa;
mod case_cli;
mod channels;
mod children;
mod claims;
mod cli;
mod conformance;
mod crash;
mod digid;
mod disclosure;
mod election;
mod generate;
mod hardening;
mod hr;
mod internal;
mod kcc;
mod kernel;
mod ldv;
mod load;
mod matrix;
mod passkeys;
mod postgres;
mod reading;
mod received;
mod recipients;
mod records;
mod refusals_nl;
mod register;
mod relations;
mod retention;
mod rights;
mod sealing;
mod server;
mod survey;
mod teams;
mod terms;
mod unit_of_work;
mod versions;
mod views;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use grondslag_kernel::{Access, DataDir, Kernel};
use grondslag_register::Role;

/// The shipped register, compiled.
pub fn shipped() -> grondslag_register::Register {
    grondslag_register::parse(grondslag_register::SHIPPED_NAME, grondslag_register::SHIPPED).unwrap()
}

pub fn open_kernel(dir: &Path) -> Kernel {
    DataDir::new(dir).open_kernel(shipped(), None, jiff::Timestamp::now()).unwrap()
}

/// The `n`th BSN of a test: eight digits and the 11-check digit.
pub fn bsn(n: u32) -> String {
    (0..100)
        .map(|k| 10_000_000 + n * 100 + k)
        .find_map(|eight| {
            let sum: u32 = eight.to_string().chars().zip((2..=9).rev()).map(|(d, w)| d.to_digit(10).unwrap() * w).sum();
            (sum % 11 < 10).then(|| format!("{eight}{}", sum % 11))
        })
        .unwrap()
}

pub fn access(role: Role) -> Access {
    let now: jiff::Timestamp = "2026-11-28T10:00:00Z".parse().unwrap();
    Access::new(format!("test.{role}"), role, "test", now)
}

/// The binary under test, with an environment cleared of anything the
/// developer's shell might set.
pub fn grondslag(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_grondslag")).args(args).env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default()).output().unwrap()
}

/// Runs `work` for each item on two threads: account creation and signing
/// in each hash a password, and the machine has two cores.
pub fn on_two_threads<T: Send, R: Send>(items: Vec<T>, work: impl Fn(T) -> R + Sync) -> Vec<R> {
    let mut halves: [Vec<(usize, T)>; 2] = [Vec::new(), Vec::new()];
    for (i, item) in items.into_iter().enumerate() {
        halves[i % 2].push((i, item));
    }
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let work = &work;
        let threads: Vec<_> =
            halves.into_iter().map(|half| scope.spawn(move || half.into_iter().map(|(i, item)| (i, work(item))).collect::<Vec<_>>())).collect();
        threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The first of `names` found on PATH.
pub fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| names.iter().map(move |n| dir.join(n))).find(|p| p.is_file())
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Where below `dir` `secret` is in the clear: each file that holds it, and
/// each audit entry of the store there that holds it once unpacked (the
/// database file holds entries packed, where a scan of the file alone
/// would not see it).
pub fn in_the_clear(dir: &Path, secret: &[u8]) -> Vec<String> {
    let holds = |bytes: &[u8]| bytes.windows(secret.len()).any(|w| w == secret);
    let mut found: Vec<String> = files_below(dir).into_iter().filter(|f| holds(&std::fs::read(f).unwrap())).map(|f| f.display().to_string()).collect();
    if DataDir::new(dir).database().exists() {
        found.extend(audit_log(dir).into_iter().filter(|(_, entry)| holds(entry.as_bytes())).map(|(seq, _)| format!("audit entry {seq}")));
    }
    found
}

/// Every regular file below `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

pub fn sqlite(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(DataDir::new(dir).database()).unwrap()
}

/// The JSON of the audit entries that `sql` selects (the stored entry as its
/// first column) from the SQLite store in `dir`: they are stored packed.
pub fn audit_json(dir: &Path, sql: &str, params: impl rusqlite::Params) -> Vec<String> {
    let db = sqlite(dir);
    let mut statement = db.prepare(sql).unwrap();
    statement.query_map(params, |r| Ok(grondslag_store::unpack_audit_entry(r.get_ref(0)?.as_bytes()?))).unwrap().map(Result::unwrap).collect()
}

/// Every audit entry of the SQLite store in `dir` with its number, as JSON.
pub fn audit_log(dir: &Path) -> Vec<(i64, String)> {
    let db = sqlite(dir);
    let mut statement = db.prepare("SELECT seq, entry FROM audit_entries ORDER BY seq").unwrap();
    statement.query_map([], |r| Ok((r.get(0)?, grondslag_store::unpack_audit_entry(r.get_ref(1)?.as_bytes()?)))).unwrap().map(Result::unwrap).collect()
}

/// The JSON of a stored audit entry that PostgreSQL gives back.
pub fn pg_audit_json(row: &::postgres::Row, column: usize) -> String {
    grondslag_store::unpack_audit_entry(row.get::<_, &[u8]>(column))
}
