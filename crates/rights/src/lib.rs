//! The rights of the people whose data is held (E22, I.RIGHTS).
//!
//! A request is filed, the requester's identity is verified before anything
//! is answered or changed, and the answer is due within the legal term
//! (`terms`), which can be extended only with a reason and timely notice.
//! The access export (art. 15) is answered from the register and the
//! kernel: every item held, what each processing is for, where the data
//! went, and who looked at it.

#![warn(missing_docs)]

pub mod export;
pub mod oversight;
pub mod requests;
pub mod terms;

/// The processing whose readers may inspect the logs of access to
/// dossiers (I3): the privacy team and the FG.
const ACCESS_LOGS: &str = "logging_dossiers";

/// Oversight that concerns nobody's data in particular — verifying the
/// audit log, the retention report — is for whoever may read the access
/// logs for everyone (the privacy team and the FG); anyone else is refused
/// by the kernel, audited, with the register's reason.
pub fn oversee(kernel: &grondslag_kernel::Kernel, access: &grondslag_kernel::Access) -> Result<(), grondslag_kernel::KernelError> {
    let logs = kernel.processing(ACCESS_LOGS)?;
    let scopes = kernel.check(access, logs, grondslag_register::Action::Read)?;
    if scopes.contains(grondslag_register::Scope::All) {
        Ok(())
    } else {
        Err(grondslag_kernel::KernelError::Denied {
            processing: ACCESS_LOGS.to_string(),
            denial: grondslag_kernel::Denial::OutOfReach { scope: scopes.iter().next().unwrap_or(grondslag_register::Scope::Own) },
        })
    }
}
