//! Feature flags for the one user of a device: the last `/flags` answer, held in memory and in
//! a file beside the state, so a cold start answers at once (no request, no wait). Refreshes
//! run on the core's worker; a refresh started before `identify`/`reset` is discarded when it
//! lands (the generation moved on), so a stale answer never overwrites a newer user's flags.

use crate::error::Error;
use crate::flags::{CalledDedup, FlagValue, RemoteFlags};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// The flags file's name inside the state directory.
pub const FLAGS_FILE: &str = "posthog-flags.json";
/// The current format version of the flags file; any other version is ignored.
pub const FLAGS_VERSION: u32 = 1;

/// One cached flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedFlag {
    /// `true`, `false` or the variant key.
    pub value: FlagValue,
    /// The payload for this value, decoded from JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
}

/// The last `/flags` answer for one distinct id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedFlags {
    /// The format version ([`FLAGS_VERSION`]).
    pub version: u32,
    /// Whom the flags were evaluated for.
    pub distinct_id: String,
    /// Flags by key.
    pub flags: BTreeMap<String, CachedFlag>,
    /// The `/flags` request id.
    #[serde(default)]
    pub request_id: Option<String>,
    /// [`CachedFlags::event_properties`], built on first use.
    #[serde(skip)]
    event_props: OnceLock<Map<String, Value>>,
}

impl PartialEq for CachedFlags {
    /// The same answer (the derived event properties do not count).
    fn eq(&self, other: &Self) -> bool {
        (
            self.version,
            &self.distinct_id,
            &self.flags,
            &self.request_id,
        ) == (
            other.version,
            &other.distinct_id,
            &other.flags,
            &other.request_id,
        )
    }
}

impl CachedFlags {
    /// Flags for `distinct_id` (the event properties are built on first use).
    pub fn new(
        distinct_id: String,
        flags: BTreeMap<String, CachedFlag>,
        request_id: Option<String>,
    ) -> CachedFlags {
        CachedFlags {
            version: FLAGS_VERSION,
            distinct_id,
            flags,
            request_id,
            event_props: OnceLock::new(),
        }
    }

    /// `$feature/<key>` for every flag and `$active_feature_flags`, added to events. Built
    /// once per answer.
    pub fn event_properties(&self) -> &Map<String, Value> {
        self.event_props.get_or_init(|| {
            let mut m = Map::new();
            let mut active = Vec::new();
            for (k, f) in &self.flags {
                m.insert(format!("$feature/{k}"), f.value.to_json());
                if f.value.is_enabled() {
                    active.push(Value::String(k.clone()));
                }
            }
            m.insert("$active_feature_flags".into(), Value::Array(active));
            m
        })
    }
}

/// The cache: memory + file, with the generation that guards against stale refreshes.
pub(crate) struct FlagsCache {
    path: PathBuf,
    tmp: PathBuf,
    current: RwLock<Option<Arc<CachedFlags>>>,
    generation: AtomicU64,
    /// Serialises file writes (the newest generation wins).
    writing: Mutex<()>,
    /// `$feature_flag_called` de-duplication.
    pub called: Mutex<CalledDedup>,
}

impl FlagsCache {
    /// Loads the file in `dir` when it holds flags for `distinct_id`; an unreadable file is
    /// returned as an error to report (and ignored).
    pub fn open(dir: &Path, distinct_id: &str) -> (FlagsCache, Option<Error>) {
        let path = dir.join(FLAGS_FILE);
        let (loaded, problem) = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<CachedFlags>(&bytes) {
                Ok(f) if f.version == FLAGS_VERSION && f.distinct_id == distinct_id => {
                    (Some(Arc::new(f)), None)
                }
                Ok(_) => (None, None),
                Err(e) => (
                    None,
                    Some(Error::Io(format!(
                        "the cached flags file {} is corrupt (line {}, column {}); ignored",
                        path.display(),
                        e.line(),
                        e.column()
                    ))),
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, None),
            Err(e) => (
                None,
                Some(Error::Io(format!(
                    "cannot read the cached flags file {}: {e}; ignored",
                    path.display()
                ))),
            ),
        };
        let cache = FlagsCache {
            tmp: dir.join(format!("{FLAGS_FILE}.tmp")),
            path,
            current: RwLock::new(loaded),
            generation: AtomicU64::new(0),
            writing: Mutex::new(()),
            called: Mutex::new(CalledDedup::default()),
        };
        (cache, problem)
    }

    /// The flags now (no I/O).
    pub fn get(&self) -> Option<Arc<CachedFlags>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The generation a refresh started now must still see when it lands.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The user changed: refreshes in flight are discarded when they land.
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Forgets the flags in memory (the file is removed by [`FlagsCache::remove_file`]).
    pub fn clear(&self) {
        self.bump();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Takes an answer for `distinct_id` if no newer user came since `generation`. When the
    /// server had errors computing some flags, the previous values of the missing ones stay.
    /// Returns the flags to write to disk, or `None` when the answer was stale.
    pub fn store(
        &self,
        generation: u64,
        distinct_id: &str,
        answer: &RemoteFlags,
    ) -> Option<Arc<CachedFlags>> {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if self.generation() != generation {
            return None;
        }
        let mut flags = BTreeMap::new();
        if answer.errors_while_computing
            && let Some(old) = current.as_ref().filter(|c| c.distinct_id == distinct_id)
        {
            flags.extend(old.flags.clone());
        }
        for (k, f) in &answer.flags {
            flags.insert(
                k.clone(),
                CachedFlag {
                    value: f.value.clone(),
                    payload: f.payload.clone(),
                },
            );
        }
        let new = Arc::new(CachedFlags::new(
            distinct_id.to_string(),
            flags,
            answer.request_id.clone(),
        ));
        *current = Some(new.clone());
        Some(new)
    }

    /// Writes `flags` atomically (temp file, fsync, rename) unless a newer user came since.
    pub fn save(&self, generation: u64, flags: &CachedFlags) -> Result<(), Error> {
        let _w = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation() != generation {
            return Ok(());
        }
        super::state::write_json(&self.path, &self.tmp, flags, "the cached flags")
    }

    /// Removes the file (after `reset`), unless flags for the new user already arrived (their
    /// save replaces the file, before or after this runs).
    pub fn remove_file(&self) -> Result<(), Error> {
        let _w = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        if self.get().is_some() {
            return Ok(());
        }
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Io(format!(
                "cannot remove the cached flags file {}: {e}",
                self.path.display()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::RemoteFlag;

    fn answer(pairs: &[(&str, FlagValue)], errors: bool) -> RemoteFlags {
        let mut r = RemoteFlags {
            errors_while_computing: errors,
            ..RemoteFlags::default()
        };
        for (k, v) in pairs {
            r.flags.insert(
                (*k).to_string(),
                RemoteFlag {
                    value: v.clone(),
                    payload: None,
                    reason: None,
                    reason_description: None,
                    condition_index: None,
                    id: None,
                    version: None,
                },
            );
        }
        r
    }

    #[test]
    fn stale_answers_are_dropped_and_partial_answers_merge() {
        let dir = std::env::temp_dir().join(format!("posthog-flags-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let (c, problem) = FlagsCache::open(&dir, "u");
        assert!(problem.is_none() && c.get().is_none());
        let g = c.generation();
        let a = answer(
            &[("a", FlagValue::Bool(true)), ("b", "x".into_variant())],
            false,
        );
        let stored = c.store(g, "u", &a).unwrap();
        c.save(g, &stored).unwrap();
        let partial = answer(&[("a", FlagValue::Bool(false))], true);
        let merged = c.store(g, "u", &partial).unwrap();
        assert_eq!(merged.flags["a"].value, FlagValue::Bool(false));
        assert_eq!(merged.flags["b"].value, "x".into_variant());
        c.bump();
        assert!(c.store(g, "u", &a).is_none(), "a stale answer is dropped");

        let (again, _) = FlagsCache::open(&dir, "u");
        assert_eq!(
            again.get().unwrap().flags.len(),
            2,
            "read back from the file"
        );
        let (other, _) = FlagsCache::open(&dir, "someone-else");
        assert!(other.get().is_none(), "another user's flags are not used");
        std::fs::write(dir.join(FLAGS_FILE), b"{nope").unwrap();
        let (broken, problem) = FlagsCache::open(&dir, "u");
        assert!(broken.get().is_none());
        assert_eq!(problem.unwrap().kind(), crate::ErrorKind::Io);
        let _ = std::fs::remove_dir_all(dir);
    }

    trait IntoVariant {
        fn into_variant(self) -> FlagValue;
    }
    impl IntoVariant for &str {
        fn into_variant(self) -> FlagValue {
            FlagValue::Variant(self.to_string())
        }
    }
}
