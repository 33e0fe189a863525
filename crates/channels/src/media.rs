//! Recorded calls (E18) and camera footage (E16): large, sensitive, short-
//! lived. Each is sealed in the blob store under its own subject key, carries
//! the moment it was recorded (its term counts from there), can be put under
//! a hold while an investigation needs it, and every viewing of footage is
//! itself logged (protocol data, kept six months).

use grondslag_kernel::{Access, Detail, Kernel, RecordRef, RecordView, Value};
use grondslag_register::due::RECORDED;
use grondslag_register::{Action, Category, CategorySet, ProcessingId};

use crate::ChannelError;

/// The largest call recording accepted (an hour of compressed audio).
pub const MAX_RECORDING: usize = 64 << 20;
/// The largest stretch of footage accepted in one piece.
pub const MAX_FOOTAGE: usize = 512 << 20;

const CALLS: &str = "telefoon_opnames";
const CAMERA: &str = "camera";
const PROTOCOL: &str = "camera_protocol";
const SSO_CFD: &str = "sso_cfd";

/// The media type the bytes are, by their first bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] => Some("audio/wav"),
        [b'I', b'D', b'3', ..] | [0xFF, 0xFB | 0xF3 | 0xF2, ..] => Some("audio/mpeg"),
        [b'O', b'g', b'g', b'S', ..] => Some("audio/ogg"),
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => Some("video/mp4"),
        [0x1A, 0x45, 0xDF, 0xA3, ..] => Some("video/webm"),
        _ => None,
    }
}

/// Checks size and media type: the declared type must be accepted and the
/// bytes must really be of that type.
fn check(what: &'static str, bytes: &[u8], declared: &str, accepted: &[&str], limit: usize) -> Result<(), ChannelError> {
    if bytes.len() > limit {
        return Err(ChannelError::TooLarge { what, size: bytes.len(), limit });
    }
    let refused = |found: String| ChannelError::MediaType { what, found, accepted: accepted.join(", ") };
    if !accepted.contains(&declared) {
        return Err(refused(declared.to_string()));
    }
    match sniff(bytes) {
        Some(actual) if actual == declared => Ok(()),
        Some(actual) => Err(refused(format!("{actual} (declared {declared})"))),
        None => Err(refused(format!("unrecognised content (declared {declared})"))),
    }
}

/// Recorded calls and camera footage, each under its own processing.
#[derive(Debug)]
pub struct Media<'k> {
    kernel: &'k Kernel,
    calls: ProcessingId,
    camera: ProcessingId,
    protocol: ProcessingId,
}

impl<'k> Media<'k> {
    /// Media on the kernel, under the calls, camera and protocol processings of its register.
    pub fn new(kernel: &'k Kernel) -> Result<Media<'k>, ChannelError> {
        Ok(Media { kernel, calls: kernel.processing(CALLS)?, camera: kernel.processing(CAMERA)?, protocol: kernel.processing(PROTOCOL)? })
    }

    /// The recorded-calls processing.
    pub fn calls(&self) -> ProcessingId {
        self.calls
    }

    /// The camera-footage processing.
    pub fn camera(&self) -> ProcessingId {
        self.camera
    }

    /// Stores a call recording with the caller's number and the call's
    /// metadata; recorded now (`access.now`), due 28 days later.
    pub fn ingest_call(&self, access: &Access, recording: Vec<u8>, media_type: &str, caller: &str, meta: &str) -> Result<RecordRef, ChannelError> {
        check("a call recording", &recording, media_type, &["audio/wav", "audio/mpeg", "audio/ogg"], MAX_RECORDING)?;
        // Sealed and written before the unit takes the writer.
        let fields = self.kernel.prepare(&[
            (Category::Phone, Value::text(caller)),
            (Category::CallMeta, Value::text(meta)),
            (Category::CallRecording, Value::Bytes(recording)),
        ])?;
        self.kernel.unit(|unit| {
            let record = unit.write_prepared(access, self.calls, None, None, &fields)?;
            unit.record_event(access, self.calls, &record, Action::File, RECORDED, Some("kept"), Some(Detail::to(Category::CallMeta, media_type)))?;
            Ok(record)
        })
    }

    /// Stores footage with its time, date and place; due four weeks later.
    pub fn ingest_footage(&self, access: &Access, footage: Vec<u8>, media_type: &str, place: &str) -> Result<RecordRef, ChannelError> {
        check("footage", &footage, media_type, &["video/mp4", "video/webm"], MAX_FOOTAGE)?;
        let meta = format!("{} — {place}", access.now);
        // Sealed and written before the unit takes the writer.
        let fields = self.kernel.prepare(&[(Category::FootageMeta, Value::text(meta)), (Category::CameraFootage, Value::Bytes(footage))])?;
        self.kernel.unit(|unit| {
            let record = unit.write_prepared(access, self.camera, None, None, &fields)?;
            unit.record_event(access, self.camera, &record, Action::File, RECORDED, Some("kept"), Some(Detail::to(Category::FootageMeta, media_type)))?;
            Ok(record)
        })
    }

    /// Views footage; the viewing is logged in the protocol (who, in which
    /// function, when), itself kept six months.
    pub fn view_footage(&self, access: &Access, footage: &RecordRef) -> Result<Option<RecordView>, ChannelError> {
        self.kernel.unit(|unit| {
            let view = unit.read_record(access, self.camera, footage, CategorySet::of(&[Category::CameraFootage, Category::FootageMeta]))?;
            let log = [
                (Category::Name, Value::text(access.actor.clone())),
                (Category::Function, Value::text(access.role.name())),
                (Category::ViewLog, Value::text(format!("bekeek camerabeelden {} op {}", footage.record, access.now))),
            ];
            let entry = unit.write(access, self.protocol, None, None, &log)?;
            unit.record_event(access, self.protocol, &entry, Action::File, RECORDED, None, None)?;
            Ok(view)
        })
    }

    /// Hands footage to SSO-CFD, as a disclosure through the kernel.
    pub fn share_footage(&self, access: &Access, footage: &RecordRef) -> Result<Option<RecordView>, ChannelError> {
        let sso = self.kernel.recipient(SSO_CFD)?;
        Ok(self.kernel.disclose_record(access, self.camera, footage, sso, None)?)
    }

    /// Places a hold (an integrity issue, malversation, an incident): the
    /// recording is kept until the hold is released.
    pub fn hold(&self, access: &Access, processing: ProcessingId, record: &RecordRef, reason: &str, review: jiff::Timestamp) -> Result<(), ChannelError> {
        if reason.trim().is_empty() {
            return Err(ChannelError::Missing("a reason for the hold"));
        }
        self.kernel.hold(access, processing, record, reason, review)?;
        Ok(())
    }

    /// Releases a hold; if the term has passed, the recording is due at once.
    pub fn release(&self, access: &Access, processing: ProcessingId, record: &RecordRef, outcome: &str) -> Result<(), ChannelError> {
        self.kernel.release(access, processing, record, outcome)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_checked_by_their_bytes() {
        let wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
        assert!(check("a call recording", &wav, "audio/wav", &["audio/wav"], 1000).is_ok());
        let lying = check("a call recording", &wav, "audio/mpeg", &["audio/wav", "audio/mpeg"], 1000).unwrap_err();
        assert!(lying.to_string().contains("audio/wav (declared audio/mpeg)"), "{lying}");
        assert!(matches!(check("footage", &wav, "video/mp4", &["video/mp4"], 1000), Err(ChannelError::MediaType { .. })));
        assert!(matches!(check("a call recording", &wav, "audio/wav", &["audio/wav"], 4), Err(ChannelError::TooLarge { .. })));
        assert!(check("a call recording", b"MZ\x90\x00", "audio/wav", &["audio/wav"], 1000).is_err());
    }
}
