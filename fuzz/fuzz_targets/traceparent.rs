//! W3C `traceparent`, as every request may send it: any header value is
//! read or refused, never a panic; what is read is written back (always as
//! version 00) and reads the same again.
#![no_main]

use grondslag_audit::TraceParent;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else { return };
    let Ok(parsed) = TraceParent::parse(header) else { return };
    let written = parsed.to_string();
    if parsed.version == 0 {
        assert_eq!(written, header, "a version-00 header is written as it was read");
    }
    assert_eq!(TraceParent::parse(&written), Ok(TraceParent { version: 0, ..parsed }), "{written}");
});
