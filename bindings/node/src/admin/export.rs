//! `export` of `NativeAdmin`: the core's streaming export to a file Rust opens, on the libuv
//! pool. Memory stays bounded by one page (the core writes and flushes page by page). Progress
//! goes to JS through an unref'ed `ThreadsafeFunction`; a stopped export rejects with an
//! error that carries the last good `checkpoint` (JSON text, parsed by the JS layer).

use super::{CoreResult, NativeAdmin, parse, project};
use crate::errors;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use posthog_core::admin::export::ExportFormat;
use posthog_core::admin::{
    AdminClient, Checkpoint, ExportError, ExportOptions, ExportSource, ProjectId,
};
use posthog_core::{Error as CoreError, parse_timestamp};
use serde_json::Value;
use std::fs::File;

/// What `onProgress` receives after every page.
#[napi(object)]
pub struct ExportProgress {
    /// Rows written so far (all runs together).
    pub rows: f64,
    /// The checkpoint after this page, as JSON text.
    pub checkpoint: String,
}

/// What a finished export did.
#[napi(object)]
pub struct ExportResult {
    /// Rows written in this run.
    pub rows: f64,
    /// Pages fetched in this run.
    pub pages: f64,
    /// The final checkpoint (totals over all runs), as JSON text.
    pub checkpoint: String,
}

type Progress = ThreadsafeFunction<ExportProgress, (), ExportProgress, Status, false, true>;

/// One export on the libuv pool.
pub struct ExportTask {
    client: AdminClient,
    project: Option<String>,
    path: String,
    source: Option<String>,
    format: String,
    page_size: Option<u32>,
    checkpoint: Option<String>,
    progress: Option<Progress>,
}

impl ExportTask {
    // The error is the core's (error + checkpoint), built once when an export stops.
    #[allow(clippy::result_large_err)]
    fn run(&mut self) -> std::result::Result<ExportResult, ExportError> {
        let stop = |error: CoreError, checkpoint: &Option<Checkpoint>| ExportError {
            error,
            checkpoint: checkpoint.clone().unwrap_or_default(),
        };
        let checkpoint: Option<Checkpoint> = match parse(self.checkpoint.take(), "checkpoint") {
            Ok(Value::Null) => None,
            Ok(v) => Some(serde_json::from_value(v).map_err(|_| {
                stop(
                    CoreError::InvalidInput("checkpoint is not an export checkpoint".into()),
                    &None,
                )
            })?),
            Err(e) => return Err(stop(e, &None)),
        };
        let prepared = (|| -> CoreResult<_> {
            let project = project(self.project.take())?;
            let source = source(parse(self.source.take(), "source")?)?;
            let format = match self.format.as_str() {
                "jsonl" => ExportFormat::Jsonl,
                "csv" => ExportFormat::Csv,
                _ => {
                    return Err(CoreError::InvalidInput(
                        "format must be 'jsonl' or 'csv'".into(),
                    ));
                }
            };
            Ok((
                project,
                source,
                format,
                open(&self.path, checkpoint.as_ref())?,
            ))
        })();
        let (project, source, format, file): (ProjectId, _, _, File) =
            prepared.map_err(|e| stop(e, &checkpoint))?;
        let mut opts = ExportOptions {
            checkpoint,
            ..ExportOptions::default()
        };
        if let Some(n) = self.page_size {
            opts.page_size = n as usize;
        }
        if let Some(tsfn) = self.progress.take() {
            opts.on_checkpoint = Some(Box::new(move |cp: &Checkpoint| {
                let checkpoint = serde_json::to_string(cp).unwrap_or_default();
                tsfn.call(
                    ExportProgress {
                        rows: cp.rows as f64,
                        checkpoint,
                    },
                    ThreadsafeFunctionCallMode::NonBlocking,
                );
            }));
        }
        let report = self.client.export(project, &source, format, file, opts)?;
        Ok(ExportResult {
            rows: report.rows as f64,
            pages: report.pages as f64,
            checkpoint: serde_json::to_string(&report.checkpoint).unwrap_or_default(),
        })
    }
}

/// Opens the output through the core (new file, or cut back to the checkpoint and appended
/// to).
fn open(path: &str, checkpoint: Option<&Checkpoint>) -> CoreResult<File> {
    posthog_core::admin::open_output(std::path::Path::new(path), checkpoint)
}

/// `{"events": {after, before, event?, properties?}}` or `{"hogql": text, "values"?}`.
fn source(v: Value) -> CoreResult<ExportSource> {
    let bad = |m: &str| CoreError::InvalidInput(m.to_string());
    if let Some(q) = v.get("hogql") {
        let query = q.as_str().ok_or_else(|| bad("hogql must be a string"))?;
        return Ok(ExportSource::HogQL {
            query: query.to_string(),
            values: v.get("values").cloned().unwrap_or(Value::Null),
        });
    }
    let e = v
        .get("events")
        .filter(|e| e.is_object())
        .ok_or_else(|| bad("export needs events: { after, before } or hogql"))?;
    let time = |name: &str| -> CoreResult<_> {
        let t = e.get(name).and_then(Value::as_str);
        let t = t.ok_or_else(|| bad(&format!("events.{name} must be a time")))?;
        Ok(parse_timestamp(t)?.into())
    };
    let event = match e.get("event") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("events.event must be a string")),
    };
    let properties = match e.get("properties") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(_) => return Err(bad("events.properties must be an object")),
    };
    Ok(ExportSource::Events {
        after: time("after")?,
        before: time("before")?,
        event,
        properties,
    })
}

impl Task for ExportTask {
    type Output = std::result::Result<ExportResult, ExportError>;
    type JsValue = ExportResult;

    fn compute(&mut self) -> Result<Self::Output> {
        let out = self.run();
        // Release the progress function now, so it never outlives the export.
        self.progress = None;
        Ok(out)
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<ExportResult> {
        output.map_err(|e| {
            let checkpoint = serde_json::to_string(&e.checkpoint).unwrap_or_default();
            errors::to_js_with(&env, &e.error, Some(&checkpoint))
        })
    }
}

#[napi]
impl NativeAdmin {
    /// Exports to the file at `path`. `source`: JSON text of `{"events": {after, before,
    /// event?, properties?}}` or `{"hogql", "values"?}`; `format`: `jsonl` or `csv`;
    /// `checkpoint`: JSON text of a checkpoint to resume from. `onProgress` is called after
    /// every page. Resolves with `{ rows, pages, checkpoint }` (checkpoint as JSON text).
    #[napi(ts_return_type = "Promise<ExportResult>")]
    #[allow(clippy::too_many_arguments)]
    pub fn export(
        &self,
        project_id: Option<String>,
        path: String,
        source: String,
        format: String,
        page_size: Option<u32>,
        checkpoint: Option<String>,
        #[napi(ts_arg_type = "((p: ExportProgress) => void) | undefined | null")]
        on_progress: Option<Function<ExportProgress, ()>>,
    ) -> Result<AsyncTask<ExportTask>> {
        let progress = match on_progress {
            None => None,
            Some(f) => Some(
                f.build_threadsafe_function::<ExportProgress>()
                    .callee_handled::<false>()
                    .weak::<true>()
                    .build_callback(|ctx| Ok(ctx.value))?,
            ),
        };
        Ok(AsyncTask::new(ExportTask {
            client: self.client.clone(),
            project: project_id,
            path,
            source: Some(source),
            format,
            page_size,
            checkpoint,
            progress,
        }))
    }
}
