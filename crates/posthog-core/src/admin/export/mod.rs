//! Streaming exports through the query API: one page in memory at a time, written to any
//! `Write` as JSON Lines or CSV, resumable from a [`Checkpoint`] — or, with the `parquet`
//! cargo feature, to a Parquet file (one row group per page). For exports PostHog should run
//! on a schedule, create a [batch export](crate::admin::BatchExports) instead.

mod checkpoint;
mod format;
#[cfg(feature = "parquet")]
mod parquet;
mod source;
mod text;

pub use checkpoint::{Checkpoint, Position, open_output};
pub use format::ExportFormat;
pub use source::{EVENT_COLUMNS, ExportSource};

use super::client::AdminClient;
use super::ids::ProjectId;
use super::query::{self, QueryOptions, QueryResult};
use crate::error::Error;
use serde_json::Value;
use std::fmt;
use std::io::Write;

/// The default rows per page.
pub const DEFAULT_PAGE_SIZE: usize = 10_000;
/// The most rows one query may return.
pub const MAX_PAGE_SIZE: usize = 50_000;

/// Called with the rows written so far, after every page.
pub type ProgressHook = Box<dyn FnMut(u64) + Send>;
/// Called with the checkpoint after every page (store it to resume after a crash).
pub type CheckpointHook = Box<dyn FnMut(&Checkpoint) + Send>;

/// How to run an export.
pub struct ExportOptions {
    /// Rows per page (default 10 000, at most 50 000).
    pub page_size: usize,
    /// Resume from here instead of the start.
    pub checkpoint: Option<Checkpoint>,
    /// Progress callback.
    pub on_progress: Option<ProgressHook>,
    /// Checkpoint callback, called once each page is written and flushed.
    pub on_checkpoint: Option<CheckpointHook>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            page_size: DEFAULT_PAGE_SIZE,
            checkpoint: None,
            on_progress: None,
            on_checkpoint: None,
        }
    }
}

impl fmt::Debug for ExportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportOptions")
            .field("page_size", &self.page_size)
            .field("checkpoint", &self.checkpoint)
            .field("on_progress", &self.on_progress.is_some())
            .field("on_checkpoint", &self.on_checkpoint.is_some())
            .finish()
    }
}

/// What a finished export did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// Rows written in this run.
    pub rows: u64,
    /// Pages fetched in this run.
    pub pages: u64,
    /// The final checkpoint (totals over all runs).
    pub checkpoint: Checkpoint,
}

/// An export that stopped: the error and the last good checkpoint to resume from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error} (export stopped after {} rows)", checkpoint.rows)]
pub struct ExportError {
    /// Why it stopped.
    pub error: Error,
    /// Everything up to here was written and flushed.
    pub checkpoint: Checkpoint,
}

impl From<ExportError> for Error {
    fn from(e: ExportError) -> Error {
        e.error
    }
}

pub(crate) fn io_error(e: std::io::Error) -> Error {
    Error::Io(format!("cannot write the export: {e}"))
}

impl AdminClient {
    /// Exports `source` to `writer` in `format`, one page at a time (memory stays bounded by
    /// one page whatever the total). On failure the returned [`ExportError`] carries the
    /// checkpoint of the last page written; pass it back in [`ExportOptions::checkpoint`] to
    /// continue exactly there.
    // The error is large (error + checkpoint) but only built once, when an export stops.
    #[allow(clippy::result_large_err)]
    pub fn export<W: Write>(
        &self,
        project: impl Into<ProjectId>,
        source: &ExportSource,
        format: ExportFormat,
        writer: W,
        opts: ExportOptions,
    ) -> Result<ExportReport, ExportError> {
        let sink = text::TextSink::new(writer, format);
        self.export_to_sink(project.into(), source, sink, opts)
    }

    // The error is large (error + checkpoint) but only built once, when an export stops.
    #[allow(clippy::result_large_err)]
    fn export_to_sink<S: Sink>(
        &self,
        project: ProjectId,
        source: &ExportSource,
        sink: S,
        opts: ExportOptions,
    ) -> Result<ExportReport, ExportError> {
        let mut run = Run {
            client: self,
            project,
            source,
            sink,
            cp: opts.checkpoint.clone().unwrap_or_default(),
            rows: 0,
            pages: 0,
        };
        match run.all(opts).and_then(|()| run.sink.finish()) {
            Ok(()) => Ok(ExportReport {
                rows: run.rows,
                pages: run.pages,
                checkpoint: run.cp,
            }),
            Err(error) => Err(ExportError {
                error,
                checkpoint: run.cp,
            }),
        }
    }
}

/// Where pages go: an encoding and its output.
pub(crate) trait Sink {
    /// Whether a page with no rows must still be written (a CSV header).
    fn wants_empty_page(&self, cp: &Checkpoint) -> bool;
    /// Encodes and writes one page durably (flushed); returns the bytes written.
    fn page(
        &mut self,
        columns: &[String],
        rows: &[Vec<Value>],
        cp: &Checkpoint,
    ) -> Result<u64, Error>;
    /// Writes what must follow the last page (Parquet's footer).
    fn finish(&mut self) -> Result<(), Error> {
        Ok(())
    }
    /// Whether the CSV header is written once this page is.
    fn header_written(&self) -> bool {
        false
    }
}

struct Run<'a, S> {
    client: &'a AdminClient,
    project: ProjectId,
    source: &'a ExportSource,
    sink: S,
    cp: Checkpoint,
    rows: u64,
    pages: u64,
}

impl<S: Sink> Run<'_, S> {
    fn all(&mut self, mut opts: ExportOptions) -> Result<(), Error> {
        if opts.page_size == 0 || opts.page_size > MAX_PAGE_SIZE {
            return Err(Error::InvalidInput(format!(
                "page_size must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        self.source.check()?;
        let mut size = opts.page_size;
        loop {
            // A page PostHog stops at its execution-time limit (10 s for personal-key
            // queries) is asked again at half the size, down to one row.
            let page = match self.fetch(size) {
                Err(Error::Timeout(why)) if size > 1 => {
                    size = (size / 2).max(1);
                    tracing::warn!(size, %why, "export page too slow; asking for fewer rows");
                    continue;
                }
                other => other?,
            };
            let n = page.results.len();
            if n > 0 || self.sink.wants_empty_page(&self.cp) {
                self.write(&page)?;
                if let Some(hook) = opts.on_checkpoint.as_mut() {
                    hook(&self.cp);
                }
                if let Some(hook) = opts.on_progress.as_mut() {
                    hook(self.cp.rows);
                }
            }
            if n < size {
                return Ok(());
            }
        }
    }

    fn fetch(&self, page_size: usize) -> Result<QueryResult, Error> {
        let (text, values) = self.source.page(&self.cp.position, page_size)?;
        // Fresh rows: a window exported again soon must not come back from PostHog's cache.
        let fresh = QueryOptions {
            fresh: true,
            ..QueryOptions::default()
        };
        let body = query::body(&text, &values, fresh.refresh(false), &fresh)?;
        let http = self.client.inner.http.clone();
        let project = self.project;
        let page = self
            .client
            .inner
            .run(async move { query::run(&http, project, body).await })?;
        if page.results.len() > page_size {
            return Err(Error::Unexpected(format!(
                "a page holds {} rows, more than the {page_size} asked for",
                page.results.len()
            )));
        }
        Ok(page)
    }

    /// Encodes, writes and flushes one page, then moves the checkpoint past it.
    fn write(&mut self, page: &QueryResult) -> Result<(), Error> {
        if page
            .results
            .iter()
            .any(|row| row.len() != page.columns.len())
        {
            return Err(Error::Unexpected(
                "a row has a different number of values than the columns".into(),
            ));
        }
        let next = self.next_position(page)?;
        let bytes = self.sink.page(&page.columns, &page.results, &self.cp)?;
        let n = page.results.len() as u64;
        self.cp.position = next;
        self.cp.rows += n;
        self.cp.bytes += bytes;
        self.cp.header_written = self.sink.header_written();
        if n > 0 {
            self.cp.pages += 1;
            self.pages += 1;
        }
        self.rows += n;
        Ok(())
    }

    fn next_position(&self, page: &QueryResult) -> Result<Position, Error> {
        let Some(last) = page.results.last() else {
            return Ok(self.cp.position.clone());
        };
        match self.source {
            ExportSource::Events { .. } => {
                let col = |name: &str| -> Result<String, Error> {
                    let i = page.columns.iter().position(|c| c == name).ok_or_else(|| {
                        Error::Unexpected(format!("the events page has no {name} column"))
                    })?;
                    match last.get(i) {
                        Some(Value::String(s)) => Ok(s.clone()),
                        _ => Err(Error::Unexpected(format!(
                            "the last row's {name} is not a string"
                        ))),
                    }
                };
                Ok(Position::Keyset {
                    timestamp: utc(&col("timestamp")?),
                    uuid: col("uuid")?,
                })
            }
            ExportSource::HogQL { .. } => {
                let before = match self.cp.position {
                    Position::Offset { offset } => offset,
                    _ => 0,
                };
                Ok(Position::Offset {
                    offset: before + page.results.len() as u64,
                })
            }
        }
    }
}
/// A timestamp PostHog answered in the project's time zone (`…+01:00`), in UTC (`…Z`): the
/// checkpoint and the next page's bound stay the same whatever the project's zone is.
fn utc(text: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        Err(_) => text.to_owned(),
    }
}
