//! Where an export stands: enough to resume it exactly (no duplicate, no gap).

use serde::{Deserialize, Serialize};

/// The position after the last page written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Position {
    /// Nothing written yet.
    #[default]
    Start,
    /// Events: the (timestamp, uuid) of the last row written; the next page starts after it.
    Keyset {
        /// The last row's `timestamp`, as PostHog answered it.
        timestamp: String,
        /// The last row's `uuid`.
        uuid: String,
    },
    /// A HogQL query: the number of rows already read (the next page's `OFFSET`).
    Offset {
        /// Rows read so far.
        offset: u64,
    },
}

/// A resumable export state, serialisable (store it as JSON next to the output).
///
/// To resume after a failure: truncate the output to [`Checkpoint::bytes`] (a page that failed
/// half-way while being written may have left a partial tail), open it for appending and pass
/// the checkpoint in [`ExportOptions::checkpoint`](super::ExportOptions::checkpoint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Checkpoint {
    /// Where the next page starts.
    pub position: Position,
    /// Rows written so far (all runs together).
    pub rows: u64,
    /// Pages written so far (all runs together).
    pub pages: u64,
    /// Bytes written so far (all runs together), the CSV header included.
    pub bytes: u64,
    /// Whether the CSV header was written.
    pub header_written: bool,
}

/// Opens an export's output file: created (or truncated) for a new export; for a resumed one
/// (`checkpoint` given), cut back to the checkpoint's byte count — a page that failed half-way
/// may have left a partial tail — and positioned at its end. A file shorter than the
/// checkpoint cannot be resumed. Every binding opens export paths through this.
pub fn open_output(
    path: &std::path::Path,
    checkpoint: Option<&Checkpoint>,
) -> Result<std::fs::File, crate::Error> {
    use std::io::{Seek, SeekFrom};
    let io_err =
        |e: std::io::Error| crate::Error::Io(format!("cannot open the export output: {e}"));
    let Some(cp) = checkpoint else {
        return std::fs::File::create(path).map_err(io_err);
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io_err)?;
    let len = f.metadata().map_err(io_err)?.len();
    if len < cp.bytes {
        return Err(crate::Error::Io(format!(
            "the export output holds {len} bytes, fewer than the checkpoint's {}: cannot resume",
            cp.bytes
        )));
    }
    f.set_len(cp.bytes).map_err(io_err)?;
    f.seek(SeekFrom::End(0)).map_err(io_err)?;
    Ok(f)
}

#[cfg(test)]
mod open_tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn resumes_by_cutting_the_partial_tail() {
        let dir = std::env::temp_dir().join(format!("posthog-open-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.jsonl");
        let mut f = open_output(&path, None).unwrap();
        f.write_all(b"{\"a\":1}\n{\"a\":").unwrap();
        drop(f);
        let cp = Checkpoint {
            bytes: 8,
            ..Checkpoint::default()
        };
        let mut f = open_output(&path, Some(&cp)).unwrap();
        f.write_all(b"{\"a\":2}\n").unwrap();
        drop(f);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"a\":2}\n"
        );
        let too_far = Checkpoint {
            bytes: 1000,
            ..Checkpoint::default()
        };
        assert_eq!(
            open_output(&path, Some(&too_far)).unwrap_err().kind(),
            crate::ErrorKind::Io
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
