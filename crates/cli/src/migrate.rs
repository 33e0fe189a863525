//! `grondslag migrate`: from one machine's SQLite file to PostgreSQL.

use clap::ValueEnum;
use grondslag_kernel::DataDir;
use grondslag_store::PostgresStore;

use crate::{Failure, progress};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn run(data: &DataDir, from: Backend, to: Backend) -> Result<(), Failure> {
    if (from, to) != (Backend::Sqlite, Backend::Postgres) {
        return Err(Failure("only --from sqlite --to postgres is supported".to_string()));
    }
    let Some(url) = data.database_url.as_deref() else {
        return Err(Failure("--to postgres needs the target: give --database-url postgres://… (or GRONDSLAG_DATABASE_URL)".to_string()));
    };
    let source = data.database();
    if !source.exists() {
        return Err(Failure(format!("no SQLite store at {}; point --data at the data directory to move", source.display())));
    }
    let target = PostgresStore::open(url)?;
    let bar = progress::bar("copying rows", 0);
    let copied = target
        .copy_from_sqlite(&source, &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .inspect_err(|_| bar.abandon())?;
    bar.finish_and_clear();
    drop(target);
    say!("copied {copied} rows from {} into PostgreSQL", source.display());
    crate::audit_verify(data, &crate::Trust::default())?;
    say!(
        "from now on run grondslag with --data {} --database-url <the URL>; {} is left as it was (keep it as a backup, or delete it)",
        data.root.display(),
        source.display()
    );
    Ok(())
}
