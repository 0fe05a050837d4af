//! The persisted mobile state: one small JSON file in a directory the app owns, written
//! atomically (temp file, fsync, rename). A missing file is a first start; an unreadable or
//! corrupt one starts fresh and is reported, never a panic.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use uuid::Uuid;

/// The state file's name inside the state directory.
pub const STATE_FILE: &str = "posthog-mobile.json";
/// The current format version; any other version starts fresh.
pub const STATE_VERSION: u32 = 1;

/// What survives an app restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MobileState {
    /// The format version ([`STATE_VERSION`]).
    pub version: u32,
    /// The current distinct id (anonymous until `identify`).
    pub distinct_id: String,
    /// Whether `distinct_id` came from `identify` (false: generated, anonymous).
    pub identified: bool,
    /// Super properties added to every event (the event's own win).
    #[serde(default)]
    pub super_properties: Map<String, Value>,
    /// Group type → group key, sent as `$groups` on every event.
    #[serde(default)]
    pub groups: Map<String, Value>,
    /// Whether the user opted out of capture.
    #[serde(default)]
    pub opted_out: bool,
}

impl MobileState {
    /// A first start: a new anonymous id (UUID v7), nothing else.
    pub fn fresh() -> MobileState {
        MobileState {
            version: STATE_VERSION,
            distinct_id: Uuid::now_v7().to_string(),
            identified: false,
            super_properties: Map::new(),
            groups: Map::new(),
            opted_out: false,
        }
    }
}

/// Where the state lives.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
    tmp: PathBuf,
}

/// What [`StateFile::load`] found.
#[derive(Debug)]
pub enum Loaded {
    /// A valid state file.
    Found(MobileState),
    /// No state file: a first start.
    Missing,
    /// A state file that could not be read or parsed; the error says why (no contents).
    Corrupt(Error),
}

impl StateFile {
    /// The state file inside `dir` (created if missing).
    pub fn new(dir: &Path) -> Result<StateFile, Error> {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::Io(format!(
                "cannot create the mobile state directory {}: {e}",
                dir.display()
            ))
        })?;
        Ok(StateFile {
            path: dir.join(STATE_FILE),
            tmp: dir.join(format!("{STATE_FILE}.tmp")),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the state.
    pub fn load(&self) -> Loaded {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Missing,
            Err(e) => {
                return Loaded::Corrupt(Error::Io(format!(
                    "cannot read the mobile state file {}: {e}; starting fresh",
                    self.path.display()
                )));
            }
        };
        match serde_json::from_slice::<MobileState>(&bytes) {
            Ok(s) if s.version == STATE_VERSION && !s.distinct_id.is_empty() => Loaded::Found(s),
            Ok(s) => Loaded::Corrupt(Error::Io(format!(
                "the mobile state file {} has version {} (expected {STATE_VERSION}) or no distinct id; starting fresh",
                self.path.display(),
                s.version
            ))),
            Err(e) => Loaded::Corrupt(Error::Io(format!(
                "the mobile state file {} is corrupt (line {}, column {}); starting fresh",
                self.path.display(),
                e.line(),
                e.column()
            ))),
        }
    }

    /// Writes the state atomically: a temp file, fsync, then rename over the old file.
    pub fn save(&self, state: &MobileState) -> Result<(), Error> {
        write_json(&self.path, &self.tmp, state, "the mobile state")
    }
}

/// Writes `value` as JSON to `path` atomically (a temp file at `tmp`, fsync, rename over
/// `path`). Errors name `what` and the path, never the contents.
pub(crate) fn write_json(
    path: &Path,
    tmp: &Path,
    value: &impl Serialize,
    what: &str,
) -> Result<(), Error> {
    let io = |step: &str, e: std::io::Error| {
        Error::Io(format!("cannot {step} {what} file {}: {e}", path.display()))
    };
    let bytes = serde_json::to_vec(value)
        .map_err(|e| Error::Io(format!("cannot serialise {what}: {e}")))?;
    let mut f = std::fs::File::create(tmp).map_err(|e| io("create", e))?;
    f.write_all(&bytes).map_err(|e| io("write", e))?;
    f.sync_all().map_err(|e| io("sync", e))?;
    drop(f);
    std::fs::rename(tmp, path).map_err(|e| io("replace", e))
}

/// Writes the state off the caller's thread: callers stage the newest state and the worker
/// writes it; whoever writes takes the newest staged state, so the file never goes back in
/// time. [`StateWriter::write_pending`] also runs on the caller's thread at shutdown.
#[derive(Debug)]
pub(crate) struct StateWriter {
    file: StateFile,
    staged: Mutex<Option<MobileState>>,
    writing: Mutex<()>,
}

impl StateWriter {
    /// A writer for `file`.
    pub fn new(file: StateFile) -> StateWriter {
        StateWriter {
            file,
            staged: Mutex::new(None),
            writing: Mutex::new(()),
        }
    }

    /// The file written to.
    pub fn file(&self) -> &StateFile {
        &self.file
    }

    /// Replaces what is waiting to be written.
    pub fn stage(&self, state: MobileState) {
        *self.staged.lock().unwrap_or_else(|p| p.into_inner()) = Some(state);
    }

    /// Writes the newest staged state, if any.
    pub fn write_pending(&self) -> Result<(), Error> {
        let _w = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        let staged = self.staged.lock().unwrap_or_else(|p| p.into_inner()).take();
        match staged {
            Some(s) => self.file.save(&s),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        std::env::temp_dir().join(format!("posthog-mobile-state-{}", Uuid::new_v4()))
    }

    #[test]
    fn round_trips_and_reports_corruption() {
        let d = dir();
        let f = StateFile::new(&d).unwrap();
        assert!(matches!(f.load(), Loaded::Missing));
        let mut s = MobileState::fresh();
        s.super_properties.insert("a".into(), Value::from(1));
        f.save(&s).unwrap();
        match f.load() {
            Loaded::Found(got) => assert_eq!(got, s),
            other => panic!("{other:?}"),
        }
        std::fs::write(f.path(), b"{\"version\":1,\"distinct").unwrap();
        match f.load() {
            Loaded::Corrupt(e) => assert_eq!(e.kind(), crate::ErrorKind::Io),
            other => panic!("{other:?}"),
        }
        std::fs::write(
            f.path(),
            br#"{"version":9,"distinct_id":"x","identified":false}"#,
        )
        .unwrap();
        assert!(matches!(f.load(), Loaded::Corrupt(_)));
        let _ = std::fs::remove_dir_all(d);
    }
}
