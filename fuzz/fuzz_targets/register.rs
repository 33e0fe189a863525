//! The register file (`register check`, and every start): any text is
//! parsed and checked into a register or refused with diagnostics, never a
//! panic. An accepted register renders each statement it has, as the
//! service publishes them.
#![no_main]

use grondslag_register::Statement;
use grondslag_register::render::{Format, render};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match grondslag_register::parse("fuzz.toml", text) {
        Ok(register) => {
            for statement in Statement::ALL.into_iter().filter(|s| register.meta.edition(*s).is_some()) {
                render(&register, statement, Format::Html);
            }
        }
        Err(error) => assert!(!error.diagnostics.is_empty(), "a refused register says why"),
    }
});
