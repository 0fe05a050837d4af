//! The Parquet sink (`parquet` cargo feature): one row group per page, so memory stays bounded
//! by a page; every column is nullable UTF-8 text (strings as they are, numbers and booleans in
//! their JSON spelling, nested values as JSON text); Snappy-compressed.

use super::checkpoint::Checkpoint;
use super::{ExportError, ExportOptions, ExportReport, ExportSource, Sink};
use crate::admin::client::AdminClient;
use crate::admin::ids::ProjectId;
use crate::error::Error;
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde_json::Value;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

fn parquet_error(e: impl std::fmt::Display) -> Error {
    Error::Io(format!("cannot write the Parquet export: {e}"))
}

struct ParquetSink {
    file: Option<File>,
    writer: Option<ArrowWriter<File>>,
    schema: Option<Arc<Schema>>,
    columns: Vec<String>,
    written: u64,
}

impl ParquetSink {
    fn writer(&mut self, columns: &[String]) -> Result<&mut ArrowWriter<File>, Error> {
        if self.writer.is_none() {
            let fields: Vec<Field> = columns
                .iter()
                .map(|c| Field::new(c, DataType::Utf8, true))
                .collect();
            let props = WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .build();
            let file = self
                .file
                .take()
                .ok_or_else(|| parquet_error("the output is already closed"))?;
            let schema = Arc::new(Schema::new(fields));
            let w =
                ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(parquet_error)?;
            self.schema = Some(schema);
            self.columns = columns.to_vec();
            self.writer = Some(w);
        } else if self.columns != columns {
            return Err(Error::Unexpected(
                "the export's columns changed between pages".into(),
            ));
        }
        self.writer
            .as_mut()
            .ok_or_else(|| parquet_error("the output is already closed"))
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

impl Sink for ParquetSink {
    fn wants_empty_page(&self, _cp: &Checkpoint) -> bool {
        // An empty export still gets a valid file with its schema.
        self.writer.is_none()
    }

    fn page(
        &mut self,
        columns: &[String],
        rows: &[Vec<Value>],
        _cp: &Checkpoint,
    ) -> Result<u64, Error> {
        let arrays: Vec<ArrayRef> = (0..columns.len())
            .map(|i| {
                let col: StringArray = rows.iter().map(|r| r.get(i).and_then(text)).collect();
                Arc::new(col) as ArrayRef
            })
            .collect();
        self.writer(columns)?;
        let schema = self
            .schema
            .clone()
            .ok_or_else(|| parquet_error("no schema"))?;
        let batch = RecordBatch::try_new(schema, arrays).map_err(parquet_error)?;
        let w = self.writer(columns)?;
        w.write(&batch).map_err(parquet_error)?;
        w.flush().map_err(parquet_error)?;
        let now = w.bytes_written() as u64;
        let delta = now.saturating_sub(self.written);
        self.written = now;
        Ok(delta)
    }

    fn finish(&mut self) -> Result<(), Error> {
        if let Some(w) = self.writer.take() {
            w.close().map_err(parquet_error)?;
        }
        Ok(())
    }
}

impl AdminClient {
    /// Exports `source` to a Parquet file at `path` (created or truncated), one row group per
    /// page in bounded memory. A Parquet file cannot be appended to, so there is no resume:
    /// `opts.checkpoint` must be `None` (re-run a failed Parquet export from the start).
    // The error is large (error + checkpoint) but only built once, when an export stops.
    #[allow(clippy::result_large_err)]
    pub fn export_parquet(
        &self,
        project: impl Into<ProjectId>,
        source: &ExportSource,
        path: &Path,
        opts: ExportOptions,
    ) -> Result<ExportReport, ExportError> {
        let stop = |error| ExportError {
            error,
            checkpoint: Checkpoint::default(),
        };
        if opts.checkpoint.is_some() {
            return Err(stop(Error::InvalidInput(
                "a Parquet export cannot resume from a checkpoint; start it again".into(),
            )));
        }
        let file = super::open_output(path, None).map_err(stop)?;
        let sink = ParquetSink {
            file: Some(file),
            writer: None,
            schema: None,
            columns: Vec::new(),
            written: 0,
        };
        self.export_to_sink(project.into(), source, sink, opts)
    }
}
