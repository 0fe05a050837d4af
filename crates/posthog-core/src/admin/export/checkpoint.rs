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
