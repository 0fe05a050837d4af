//! The JSON Lines and CSV sink: encodes a page into a buffer, writes and flushes it.

use super::checkpoint::Checkpoint;
use super::format::{self, ExportFormat};
use super::{Sink, io_error};
use crate::error::Error;
use serde_json::Value;
use std::io::Write;

/// Text output to any `Write`.
pub(crate) struct TextSink<W> {
    writer: W,
    format: ExportFormat,
    buf: Vec<u8>,
}

impl<W: Write> TextSink<W> {
    pub(crate) fn new(writer: W, format: ExportFormat) -> TextSink<W> {
        TextSink {
            writer,
            format,
            buf: Vec::new(),
        }
    }
}

impl<W: Write> Sink for TextSink<W> {
    fn wants_empty_page(&self, cp: &Checkpoint) -> bool {
        self.format == ExportFormat::Csv && !cp.header_written
    }

    fn page(
        &mut self,
        columns: &[String],
        rows: &[Vec<Value>],
        cp: &Checkpoint,
    ) -> Result<u64, Error> {
        self.buf.clear();
        if self.format == ExportFormat::Csv && !cp.header_written {
            format::csv_header(&mut self.buf, columns);
        }
        for row in rows {
            match self.format {
                ExportFormat::Jsonl => format::jsonl_row(&mut self.buf, columns, row),
                ExportFormat::Csv => format::csv_row(&mut self.buf, row),
            }
        }
        self.writer.write_all(&self.buf).map_err(io_error)?;
        self.writer.flush().map_err(io_error)?;
        let n = self.buf.len() as u64;
        // Keep memory bounded by one page even after an unusually large one.
        if self.buf.capacity() > 64 << 20 {
            self.buf = Vec::new();
        }
        Ok(n)
    }

    fn header_written(&self) -> bool {
        self.format == ExportFormat::Csv
    }
}
