//! The exchange's export of calls (`kcc import`): any metadata file is read
//! into a batch or refused with its line, never a panic, and a batch holds
//! what the protocol allows: each call once, its recording audio.
//!
//! The audio files a line may name lie beside the metadata, as the
//! exchange leaves them: `in.wav`, `out.mp3` and `kcc.ogg` are recordings,
//! `clip.mp4` and `notes.txt` are not.
#![no_main]

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::LazyLock;

use grondslag_callqa::import::Batch;
use libfuzzer_sys::fuzz_target;

static EXPORT: LazyLock<tempfile::TempDir> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a temporary directory for the audio");
    let files: [(&str, &[u8]); 5] = [
        ("in.wav", b"RIFF\x24\x00\x00\x00WAVEfmt "),
        ("out.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00"),
        ("kcc.ogg", b"OggS\x00\x02\x00\x00"),
        ("clip.mp4", b"\x00\x00\x00\x18ftypmp42"),
        ("notes.txt", b"not a recording"),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("an audio file beside the metadata");
    }
    dir
});

fuzz_target!(|data: &[u8]| {
    let dir: &Path = EXPORT.path();
    let Ok(batch) = Batch::parse("calls.csv", dir, data) else { return };
    let mut ids = BTreeSet::new();
    let mut line = 1;
    for call in &batch.calls {
        assert!(ids.insert(&call.call.call_id), "call {} twice", call.call.call_id);
        assert!(call.line > line, "lines in file order");
        line = call.line;
        assert_eq!(call.audio.is_some(), call.call.media_type.is_some());
        assert!(call.call.media_type.as_deref().is_none_or(|t| t.starts_with("audio/")), "{:?}", call.call.media_type);
        assert!(call.audio.as_deref().is_none_or(|audio| audio.starts_with(dir)), "audio outside the export: {:?}", call.audio);
    }
});
