//! [`FileFlagDefinitionCache`]: the shipped [`FlagDefinitionCache`] — one JSON file shared by
//! every process of a machine (or of a shared volume), with a lease so that only one of them
//! fetches from PostHog per interval.
//!
//! Files, next to `path`:
//! - `path`: the definitions document, replaced atomically (written to a temporary file in
//!   the same directory, then renamed over it), so a reader sees the old or the new one;
//! - `path.lease`: `{"owner": "<uuid>", "until_ms": <unix ms>}`: who fetches, until when;
//! - `path.lock`: an OS file lock held only while the lease is read and renewed, so two
//!   processes cannot both take an expired lease.
//!
//! `should_fetch` takes the lease when it has expired (or when nobody holds one) and answers
//! `true`; the holder fetches and stores; the others answer `false` and read the file. A
//! fetcher that dies only delays the next fetch until its lease expires. The lease follows
//! the client's poll interval (a tenth less, so timer drift never skips an interval) unless
//! it is given.

use super::cache::{CacheFuture, FlagDefinitionCache};
use serde_json::{Value, json};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The lease when neither given nor told by a client (the official SDKs' 30 s poll, less a
/// tenth).
const DEFAULT_LEASE: Duration = Duration::from_secs(27);
/// How long `get` waits for the file while another process holds a fresh lease and the file
/// does not exist yet (the very first fetch), before answering "empty".
const FIRST_FETCH_WAIT: Duration = Duration::from_secs(5);
/// The pause between two looks at the file during that wait.
const FIRST_FETCH_STEP: Duration = Duration::from_millis(25);

/// A flag-definitions cache in a JSON file, shared between processes through a lease (see
/// the module documentation).
#[derive(Debug, Clone)]
pub struct FileFlagDefinitionCache {
    path: PathBuf,
    /// This instance's lease owner id (clones share it: they are one instance).
    owner: String,
    lease: Arc<Mutex<Duration>>,
    lease_given: bool,
}

impl FileFlagDefinitionCache {
    /// A cache in the file `path` (its directory is created when missing); the lease follows
    /// the client's poll interval.
    pub fn new(path: impl Into<PathBuf>) -> FileFlagDefinitionCache {
        FileFlagDefinitionCache {
            path: path.into(),
            owner: uuid::Uuid::new_v4().to_string(),
            lease: Arc::new(Mutex::new(DEFAULT_LEASE)),
            lease_given: false,
        }
    }

    /// A cache whose lease lasts `lease` (at most one fetch per `lease` among the processes
    /// sharing the file).
    pub fn with_lease(path: impl Into<PathBuf>, lease: Duration) -> FileFlagDefinitionCache {
        FileFlagDefinitionCache {
            lease: Arc::new(Mutex::new(lease)),
            lease_given: true,
            ..FileFlagDefinitionCache::new(path)
        }
    }

    /// The definitions file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    }

    fn lease(&self) -> Duration {
        *self.lease.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the lease when it is free or expired; `true` when this instance holds it now.
    pub fn try_take_lease(&self) -> Result<bool, String> {
        self.with_lock(|| {
            let now = now_ms();
            let current = read_lease(&self.sibling(".lease"));
            if let Some((_, until)) = &current
                && *until > now
            {
                return Ok(false);
            }
            let until = now.saturating_add(i64::try_from(self.lease().as_millis()).unwrap_or(0));
            let body = json!({"owner": self.owner, "until_ms": until}).to_string();
            replace(&self.sibling(".lease"), body.as_bytes())?;
            Ok(true)
        })
    }

    /// Gives the lease up when this instance holds it.
    pub fn release_lease(&self) -> Result<(), String> {
        self.with_lock(|| {
            let lease = self.sibling(".lease");
            if read_lease(&lease).is_some_and(|(owner, _)| owner == self.owner) {
                match fs::remove_file(&lease) {
                    Ok(()) => {}
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(format!("removing the lease: {e}")),
                }
            }
            Ok(())
        })
    }

    /// The stored document, `None` when there is none (waiting, bounded, while another
    /// process holds a fresh lease and has not written the first one yet).
    pub fn read(&self) -> Result<Option<Value>, String> {
        let deadline = std::time::Instant::now() + FIRST_FETCH_WAIT.min(self.lease());
        loop {
            match fs::read(&self.path) {
                Ok(bytes) => {
                    return serde_json::from_slice(&bytes)
                        .map(Some)
                        .map_err(|e| format!("the cache file is not JSON: {e}"));
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(format!("reading the cache file: {e}")),
            }
            let fetching = read_lease(&self.sibling(".lease"))
                .is_some_and(|(owner, until)| owner != self.owner && until > now_ms());
            if !fetching || std::time::Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(FIRST_FETCH_STEP);
        }
    }

    /// Replaces the stored document atomically.
    pub fn write(&self, data: &Value) -> Result<(), String> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| format!("creating the cache directory: {e}"))?;
        }
        replace(&self.path, data.to_string().as_bytes())
    }

    fn with_lock<T>(&self, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| format!("creating the cache directory: {e}"))?;
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.sibling(".lock"))
            .map_err(|e| format!("opening the lock file: {e}"))?;
        lock.lock()
            .map_err(|e| format!("locking the lock file: {e}"))?;
        let out = f();
        let _ = lock.unlock();
        out
    }
}

/// Runs blocking file work off the async worker.
fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> CacheFuture<'static, T> {
    Box::pin(async move {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|_| "the cache file task panicked".to_string())?
    })
}

impl FlagDefinitionCache for FileFlagDefinitionCache {
    fn get_flag_definitions(&self) -> CacheFuture<'_, Option<Value>> {
        let me = self.clone();
        blocking(move || me.read())
    }

    fn should_fetch_flag_definitions(&self) -> CacheFuture<'_, bool> {
        let me = self.clone();
        blocking(move || me.try_take_lease())
    }

    fn on_flag_definitions_received(&self, data: Value) -> CacheFuture<'_, ()> {
        let me = self.clone();
        blocking(move || me.write(&data))
    }

    fn shutdown(&self) -> CacheFuture<'_, ()> {
        let me = self.clone();
        blocking(move || me.release_lease())
    }

    fn attach(&self, poll_interval: Duration) {
        if !self.lease_given && !poll_interval.is_zero() {
            *self.lease.lock().unwrap_or_else(|p| p.into_inner()) =
                poll_interval - poll_interval / 10;
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn read_lease(path: &Path) -> Option<(String, i64)> {
    let v: Value = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
    Some((
        v.get("owner")?.as_str()?.to_string(),
        v.get("until_ms")?.as_i64()?,
    ))
}

/// Writes `bytes` to a temporary file beside `path` and renames it over `path`.
fn replace(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let tmp = PathBuf::from(tmp_name);
    let written = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(format!("writing {}: {e}", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("ph-file-cache-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn one_lease_holder_at_a_time() {
        let d = dir();
        let a = FileFlagDefinitionCache::with_lease(d.join("defs.json"), Duration::from_secs(60));
        let b = FileFlagDefinitionCache::with_lease(d.join("defs.json"), Duration::from_secs(60));
        assert!(a.try_take_lease().unwrap());
        assert!(!b.try_take_lease().unwrap());
        assert!(
            !a.try_take_lease().unwrap(),
            "one fetch per lease, even for the holder"
        );
        b.release_lease().unwrap();
        assert!(!b.try_take_lease().unwrap(), "only the holder releases");
        a.release_lease().unwrap();
        assert!(b.try_take_lease().unwrap());
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn expired_lease_is_taken() {
        let d = dir();
        let a = FileFlagDefinitionCache::with_lease(d.join("x.json"), Duration::ZERO);
        let b = FileFlagDefinitionCache::with_lease(d.join("x.json"), Duration::ZERO);
        assert!(a.try_take_lease().unwrap());
        assert!(b.try_take_lease().unwrap());
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn write_then_read_and_attach() {
        let d = dir();
        let path = d.join("sub").join("defs.json");
        let a = FileFlagDefinitionCache::new(&path);
        assert_eq!(a.read().unwrap(), None);
        let doc = json!({"flags": [{"key": "k"}], "group_type_mapping": {}, "cohorts": {}});
        a.write(&doc).unwrap();
        assert_eq!(a.read().unwrap(), Some(doc));
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
        a.attach(Duration::from_secs(10));
        assert_eq!(a.lease(), Duration::from_secs(9));
        fs::write(&path, b"not json").unwrap();
        assert!(a.read().is_err());
        fs::remove_dir_all(d).unwrap();
    }
}
