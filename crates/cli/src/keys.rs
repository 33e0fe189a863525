//! `grondslag keys rotate`, `grondslag backup` and `grondslag restore`:
//! what makes erasure reach backups. A backup holds ciphertext and subject
//! keys wrapped under the master key; rotating the master key re-wraps the
//! live subject keys under a new one and removes the old key file, so a
//! backup made before cannot be read once every copy of the old key is gone.

use std::path::Path;

use clap::Subcommand;
use grondslag_accounts::system_actor;
use grondslag_kernel::Access;
use grondslag_register::Role;

use crate::Failure;
use crate::context::Context;

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Replace the master key by a new one: every subject key is re-wrapped under it in one
    /// transaction, then the key file is replaced. Backups made before cannot be read without
    /// the old key: destroy every copy of it once those backups have aged out (docs/server.md, Backups).
    /// Stop the service first; restart it afterwards.
    Rotate,
}

pub fn run(context: &Context, command: KeysCommand) -> Result<(), Failure> {
    match command {
        KeysCommand::Rotate => {
            let operator = Access::new(system_actor::COMMAND_LINE, Role::System, "cli:keys", context.now);
            let rewrapped = context.data.rotate_master_key(context.register.clone(), context.master(), &operator)?;
            say!(
                "rotated the master key in {}: {rewrapped} subject keys re-wrapped; the old key is gone from this directory. \
                 Backups made before this moment need the old key: destroy every copy of it once they have aged out.",
                context.data.master_key().display()
            );
            Ok(())
        }
    }
}

pub fn backup(context: &Context, to: &Path) -> Result<(), Failure> {
    context.data.backup(to)?;
    say!(
        "backed up {} to {} (owner-only); it is read with this directory's keys, and not after they are rotated",
        context.data.database().display(),
        to.display()
    );
    Ok(())
}

pub fn restore(context: &Context, from: &Path) -> Result<(), Failure> {
    let kernel = context
        .data
        .restore(context.register.clone(), context.master(), from, context.now)
        .map_err(|e| match e {
            grondslag_kernel::OpenError::Kernel(grondslag_kernel::KernelError::WrongMasterKey) => Failure(format!(
                "{} was made under a master key this directory no longer has (rotated since, or another installation's): it cannot be read, and nothing was restored",
                from.display()
            )),
            other => other.into(),
        })?;
    let verified = kernel.verify_audit(|_| ())?;
    drop(kernel);
    say!("restored {} into {}; the audit log verifies ({} entries)", from.display(), context.data.root.display(), verified.entries);
    Ok(())
}
