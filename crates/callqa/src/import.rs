//! Recordings in (K1, K3, K11): the exchange exports a batch as a metadata
//! file (CSV, one call per line) beside the audio files it names. A batch is
//! read and checked whole before anything is stored — a wrong date, an
//! unknown agent, audio that is not audio — and the error names the file
//! and line. Then each call is stored, its recording sealed in the blob
//! store, dated `recorded` at its real start so it goes four weeks later,
//! and related to the employee who took it (`own_calls`).
//!
//! What the protocol says cannot be listened to is not stored at all:
//! internal calls (outside the exchange's key) and the private line. A
//! call whose four weeks have passed already is not stored either.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use grondslag_kernel::{Access, RecordRef, SubjectId, Value};
use grondslag_register::due::RECORDED;
use grondslag_register::{Action, Category, Scope};
use grondslag_values::dutch::parse_written;

use crate::{Call, CallQa, CallQaError, Direction};

/// How long a recording is kept (K3): four weeks after the call.
pub const KEPT: jiff::SignedDuration = jiff::SignedDuration::from_hours(28 * 24);

/// The largest recording accepted.
pub const MAX_RECORDING: usize = grondslag_channels::media::MAX_RECORDING;

/// The metadata file's columns, in this order, with a header line.
pub const COLUMNS: [&str; 9] = ["call_id", "agent", "start", "duration_seconds", "direction", "external", "network_relation", "private_line", "audio"];

/// The index kind under which a call is found by the exchange's id.
pub(crate) const CALL_ID: &str = "call";

/// The calls stored per transaction.
const CHUNK: usize = 200;

/// One line of the metadata file, checked.
#[derive(Clone, Debug)]
pub struct ExchangeCall {
    /// The line it came from.
    pub line: usize,
    /// The call.
    pub call: Call,
    /// The exchange's id of the employee.
    pub agent: String,
    /// The audio file, when the exchange recorded the call.
    pub audio: Option<PathBuf>,
}

/// A batch read from the exchange's export.
#[derive(Clone, Debug)]
pub struct Batch {
    /// The metadata file, for messages.
    pub file: String,
    /// Its calls, in file order.
    pub calls: Vec<ExchangeCall>,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// Calls stored with their recording.
    pub stored: usize,
    /// Stored before (the same call id): not stored twice.
    pub duplicates: usize,
    /// Internal calls: not through the exchange's key, not stored (K1).
    pub internal: usize,
    /// Calls on the private line: never recorded (K11).
    pub private_line: usize,
    /// Calls whose four weeks had passed already (K3).
    pub expired: usize,
}

fn flag(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "ja" | "yes" | "true" | "1" => Ok(true),
        "nee" | "no" | "false" | "0" => Ok(false),
        other => Err(format!("`{other}` is not yes or no (write ja/nee, true/false or 1/0)")),
    }
}

impl Batch {
    /// Reads and checks a metadata file and the audio it names (size and
    /// content type, by the bytes); nothing is stored.
    pub fn read(metadata: &Path) -> Result<Batch, CallQaError> {
        let file = metadata.display().to_string();
        let text = std::fs::File::open(metadata).map_err(|e| CallQaError::Import { file: file.clone(), line: 0, problem: format!("cannot read: {e}") })?;
        Batch::parse(&file, metadata.parent().unwrap_or(Path::new(".")), text)
    }

    /// [`Batch::read`] of the metadata in `text`, named `file` in errors,
    /// with the audio files it names in `dir`.
    pub fn parse(file: &str, dir: &Path, text: impl std::io::Read) -> Result<Batch, CallQaError> {
        let at = |line: usize, problem: String| CallQaError::Import { file: file.to_string(), line, problem };
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text);
        let header: Vec<String> = reader.headers().map_err(|e| at(1, e.to_string()))?.iter().map(str::to_string).collect();
        if header != COLUMNS {
            return Err(at(1, format!("the header must be `{}`, found `{}`", COLUMNS.join(","), header.join(","))));
        }
        let mut calls = Vec::new();
        let mut ids = BTreeSet::new();
        for (i, row) in reader.records().enumerate() {
            let line = i + 2;
            let row = row.map_err(|e| at(line, e.to_string()))?;
            let get = |n: usize| row.get(n).unwrap_or("").trim();
            let call_id = get(0).to_string();
            if call_id.is_empty() || call_id.len() > 64 || !call_id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                return Err(at(line, format!("call_id `{call_id}`: give the exchange's id (letters, digits, - _ .; at most 64)")));
            }
            if !ids.insert(call_id.clone()) {
                return Err(at(line, format!("call_id `{call_id}` occurs twice in this batch")));
            }
            let agent = get(1).to_string();
            if agent.is_empty() {
                return Err(at(line, "agent: the exchange's id of the employee is missing".to_string()));
            }
            let start = parse_written(get(2)).map_err(|e| at(line, format!("start: {e}")))?.start();
            let duration_seconds = get(3).parse::<u32>().map_err(|_| at(line, format!("duration_seconds `{}`: give whole seconds", get(3))))?;
            let direction: Direction = get(4).parse().map_err(|e: CallQaError| at(line, e.to_string()))?;
            let external = flag(get(5)).map_err(|e| at(line, format!("external: {e}")))?;
            let network_relation = flag(get(6)).map_err(|e| at(line, format!("network_relation: {e}")))?;
            let private_line = flag(get(7)).map_err(|e| at(line, format!("private_line: {e}")))?;
            let audio = match get(8) {
                "" => None,
                name => {
                    let path = Path::new(name);
                    if path.is_absolute() || path.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
                        return Err(at(line, format!("audio `{name}`: name a file beside the metadata file")));
                    }
                    Some(dir.join(path))
                }
            };
            let media_type = match &audio {
                Some(path) => Some(check_audio(path).map_err(|problem| at(line, problem))?),
                None => None,
            };
            let call = Call { call_id, start, duration_seconds, direction, external, network_relation, private_line, media_type };
            calls.push(ExchangeCall { line, call, agent, audio });
        }
        Ok(Batch { file: file.to_string(), calls })
    }
}

/// The media type of an audio file, by its size and first bytes: the
/// batch is checked without reading every recording twice.
fn check_audio(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let at = |e: std::io::Error| format!("audio {}: {e}", path.display());
    let mut file = std::fs::File::open(path).map_err(at)?;
    let size = file.metadata().map_err(at)?.len();
    let mut head = Vec::with_capacity(16);
    file.by_ref().take(16).read_to_end(&mut head).map_err(at)?;
    audio_type(&head, size).map(str::to_string).map_err(|problem| format!("audio {}: {problem}", path.display()))
}

/// The media type of a recording of `size` bytes beginning with `head`.
fn audio_type(head: &[u8], size: u64) -> Result<&'static str, String> {
    if size > MAX_RECORDING as u64 {
        return Err(format!("{size} bytes is more than the {MAX_RECORDING} allowed"));
    }
    grondslag_channels::media::sniff(head).filter(|t| t.starts_with("audio/")).ok_or_else(|| "not a recording (wav, mp3 or ogg)".to_string())
}

impl CallQa<'_> {
    /// Stores a batch, `progress` told the number of lines done. Checks
    /// first what the store must agree with (every agent takes part, no
    /// call lies after `now`) and stores nothing if one fails; then stores
    /// a chunk of calls per transaction. A batch that fails half-way (an
    /// audio file gone or changed) is imported again as it is: the calls
    /// stored before are skipped as duplicates.
    pub fn import(&self, access: &Access, batch: &Batch, mut progress: impl FnMut(usize)) -> Result<Imported, CallQaError> {
        let at = |line: usize, problem: String| CallQaError::Import { file: batch.file.clone(), line, problem };
        let employees = self.kernel.unit(|unit| {
            let mut employees: HashMap<&str, SubjectId> = HashMap::new();
            for call in &batch.calls {
                if call.call.start > access.now {
                    return Err(at(call.line, format!("start {} lies after the moment of import", call.call.start)));
                }
                if !employees.contains_key(call.agent.as_str()) {
                    let Some(participation) = self.participation_of(unit, access, &call.agent)? else {
                        return Err(at(call.line, format!("agent `{}` does not take part in the protocol; HR enrols them first (`kcc enrol`)", call.agent)));
                    };
                    employees.insert(call.agent.as_str(), participation.subject);
                }
            }
            Ok::<_, CallQaError>(employees)
        })?;
        let mut done = Imported::default();
        for chunk in batch.calls.chunks(CHUNK) {
            let counted = self.kernel.unit(|unit| {
                let mut counted = Imported::default();
                for line in chunk {
                    let call = &line.call;
                    if !call.external {
                        counted.internal += 1;
                        continue;
                    }
                    if call.private_line {
                        counted.private_line += 1;
                        continue;
                    }
                    if call.start + KEPT <= access.now {
                        counted.expired += 1;
                        continue;
                    }
                    if !unit.find_records(access, self.p.calls, CALL_ID, &call.call_id)?.is_empty() {
                        counted.duplicates += 1;
                        continue;
                    }
                    let Some(employee) = employees.get(line.agent.as_str()) else { continue };
                    let mut fields = vec![(Category::CallMeta, crate::to_text(call)?)];
                    if let Some(path) = &line.audio {
                        let bytes = std::fs::read(path).map_err(|e| at(line.line, format!("audio {}: {e}", path.display())))?;
                        // What is stored is checked again: the file may have changed since the batch was read.
                        match audio_type(&bytes, bytes.len() as u64) {
                            Ok(found) if Some(found) == call.media_type.as_deref() => {}
                            Ok(found) => {
                                return Err(at(line.line, format!("audio {}: now {found}, changed since the batch was read; read it again", path.display())));
                            }
                            Err(problem) => return Err(at(line.line, format!("audio {}: {problem}, changed since the batch was read", path.display()))),
                        }
                        fields.push((Category::CallRecording, Value::Bytes(bytes)));
                    }
                    let record = unit.write(access, self.p.calls, Some(employee), None, &fields)?;
                    unit.record_event_at(access, self.p.calls, &record, Action::File, RECORDED, None, None, call.start)?;
                    unit.relate(access, self.p.calls, Action::Advance, &record, Scope::OwnCalls, Some(employee), true)?;
                    unit.index_record(access, self.p.calls, &record, CALL_ID, &call.call_id)?;
                    counted.stored += 1;
                }
                Ok::<_, CallQaError>(counted)
            })?;
            done.stored += counted.stored;
            done.duplicates += counted.duplicates;
            done.internal += counted.internal;
            done.private_line += counted.private_line;
            done.expired += counted.expired;
            progress(chunk.len());
        }
        Ok(done)
    }

    /// The calls the employee took, newest first (metadata only): the
    /// records related to them as `own_calls`.
    pub fn own_calls(&self, access: &Access) -> Result<Vec<(RecordRef, Call)>, CallQaError> {
        self.kernel.reading(|unit| {
            let mut calls = Vec::new();
            for summary in unit.list_all(access, self.p.calls, None)? {
                let view = crate::read_one(unit, access, self.p.calls, &summary.record, &[Category::CallMeta])?;
                calls.push((summary.record, crate::call_of(&view)?));
            }
            calls.sort_by_key(|c| std::cmp::Reverse(c.1.start));
            Ok(calls)
        })
    }

    /// An employee's calls as their coach (or the system) reads them, newest first (metadata only).
    pub fn calls_of(&self, access: &Access, employee: &SubjectId) -> Result<Vec<(RecordRef, Call)>, CallQaError> {
        self.kernel.reading(|unit| self.read_calls(unit, access, employee))
    }

    pub(crate) fn read_calls(
        &self,
        unit: &mut grondslag_kernel::Unit<'_>,
        access: &Access,
        employee: &SubjectId,
    ) -> Result<Vec<(RecordRef, Call)>, CallQaError> {
        let views = unit.read(access, self.p.calls, employee, grondslag_register::CategorySet::of(&[Category::CallMeta]))?;
        let mut calls = views
            .iter()
            .map(|v| Ok((RecordRef { subject: employee.clone(), record: v.record.clone() }, crate::call_of(v)?)))
            .collect::<Result<Vec<_>, CallQaError>>()?;
        calls.sort_by_key(|c| std::cmp::Reverse(c.1.start));
        Ok(calls)
    }

    /// The call the exchange knows by `call_id`, if the reader may find it.
    pub fn find_call(&self, access: &Access, call_id: &str) -> Result<Option<RecordRef>, CallQaError> {
        Ok(self.kernel.find_records(access, self.p.calls, CALL_ID, call_id)?.into_iter().next().map(|s| s.record))
    }

    /// The employee plays back a call of their own, while it exists (K11).
    pub fn listen_own(&self, access: &Access, call: &RecordRef) -> Result<crate::Recording, CallQaError> {
        self.kernel.reading(|unit| crate::recording_of(&crate::read_one(unit, access, self.p.calls, call, &[Category::CallMeta, Category::CallRecording])?))
    }
}
