//! `export`: streams a core export to a path (Rust opens the file) or to a Python binary file
//! object (its `write` is called with the GIL, once per page). The export runs with the GIL
//! released; between pages the writer checks for signals, so Ctrl-C stops it at a page
//! boundary with a checkpoint.

use super::{args, input, project_arg, utc};
use crate::convert::{to_json, to_map, to_str};
use crate::errors::{exception, to_pyerr};
use posthog_core::Error;
use posthog_core::admin::export::{CheckpointHook, ProgressHook};
use posthog_core::admin::{
    AdminClient, Checkpoint, ExportError, ExportFormat, ExportOptions, ExportReport, ExportSource,
};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use serde_json::Value;
use std::fs::File;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

/// The first Python exception raised while writing (or a pending signal's).
type Slot = Arc<Mutex<Option<PyErr>>>;

enum Target {
    File(File),
    Py(Py<PyAny>),
}

/// The `Write` the core export writes to.
struct Sink {
    target: Target,
    slot: Slot,
}

/// Keeps the first Python exception and gives the core an I/O error that names its type.
fn failed(slot: &Slot, py: Python<'_>, err: PyErr, what: &str) -> io::Error {
    let name = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an exception".into());
    let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
    if slot.is_none() {
        *slot = Some(err);
    }
    io::Error::other(format!("{what} raised {name}"))
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let slot = &self.slot;
        let target = &mut self.target;
        Python::attach(|py| {
            if let Err(e) = py.check_signals() {
                return Err(failed(slot, py, e, "a signal handler"));
            }
            match target {
                Target::File(f) => py.detach(|| f.write(buf)),
                Target::Py(obj) => match obj.call_method1(py, "write", (PyBytes::new(py, buf),)) {
                    Ok(n) => Ok(n.extract::<usize>(py).unwrap_or(buf.len()).min(buf.len())),
                    Err(e) => Err(failed(slot, py, e, "the file's write()")),
                },
            }
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        let slot = &self.slot;
        match &mut self.target {
            Target::File(f) => f.flush(),
            Target::Py(obj) => Python::attach(|py| {
                let obj = obj.bind(py);
                if !obj.hasattr("flush").unwrap_or(false) {
                    return Ok(());
                }
                match obj.call_method0("flush") {
                    Ok(_) => Ok(()),
                    Err(e) => Err(failed(slot, py, e, "the file's flush()")),
                }
            }),
        }
    }
}

/// Opens the output path through the core (new file, or cut back to the checkpoint and
/// appended to).
fn open(path: &str, cp: Option<&Checkpoint>) -> Result<File, Error> {
    posthog_core::admin::open_output(std::path::Path::new(path), cp)
}

fn checkpoint_arg(obj: Option<&Bound<'_, PyAny>>) -> Result<Option<Checkpoint>, Error> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let bad = |e: serde_json::Error| input(format!("checkpoint is not an export checkpoint: {e}"));
    if obj.is_instance_of::<PyString>() {
        let text = to_str(obj, "checkpoint").map_err(input)?;
        return serde_json::from_str(&text).map(Some).map_err(bad);
    }
    serde_json::from_value(to_json(obj, "checkpoint").map_err(input)?)
        .map(Some)
        .map_err(bad)
}

/// Calls a Python callback with the GIL; what it raises goes to `sys.unraisablehook` and the
/// export goes on.
fn call_hook<'a>(
    cb: &'a Py<PyAny>,
    arg: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyAny>>,
) {
    Python::attach(|py| {
        if let Err(e) = arg(py).and_then(|a| cb.call1(py, (a,))) {
            e.write_unraisable(py, Some(cb.bind(py)));
        }
    })
}

/// Everything `export` takes, converted.
pub(super) struct ExportArgs {
    project: posthog_core::admin::ProjectId,
    source: ExportSource,
    format: ExportFormat,
    page_size: usize,
    checkpoint: Option<Checkpoint>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn export_args(
    py: Python<'_>,
    project: &Bound<'_, PyAny>,
    format: &str,
    page_size: usize,
    checkpoint: Option<&Bound<'_, PyAny>>,
    after: Option<&Bound<'_, PyAny>>,
    before: Option<&Bound<'_, PyAny>>,
    event: Option<String>,
    properties: Option<&Bound<'_, PyAny>>,
    hogql: Option<String>,
    values: Option<&Bound<'_, PyAny>>,
) -> PyResult<ExportArgs> {
    let built = (|| -> Result<ExportArgs, Error> {
        let format = match format {
            "jsonl" => ExportFormat::Jsonl,
            "csv" => ExportFormat::Csv,
            _ => return Err(input("format must be \"jsonl\" or \"csv\"".into())),
        };
        let source = match (hogql, after) {
            (Some(query), None) => ExportSource::HogQL {
                query,
                values: match values.filter(|v| !v.is_none()) {
                    Some(v) => to_json(v, "values").map_err(input)?,
                    None => Value::Null,
                },
            },
            (None, Some(after)) => ExportSource::Events {
                after: utc(after, "events[\"after\"]")?,
                before: utc(
                    before.ok_or_else(|| input("events[\"before\"] is required".into()))?,
                    "events[\"before\"]",
                )?,
                event,
                properties: to_map(properties, "events[\"properties\"]")
                    .map_err(input)?
                    .into_iter()
                    .collect(),
            },
            _ => {
                return Err(input(
                    "give events={\"after\": …} or hogql=\"SELECT …\", not both".into(),
                ));
            }
        };
        Ok(ExportArgs {
            project: project_arg(project)?,
            source,
            format,
            page_size,
            checkpoint: checkpoint_arg(checkpoint)?,
        })
    })();
    args(py, built)
}

/// Runs the export; on failure raises the mapped error (or a signal's exception) with a
/// `checkpoint` attribute (a dict).
pub(super) fn export<'py>(
    py: Python<'py>,
    client: &AdminClient,
    a: ExportArgs,
    path: Option<String>,
    file: Option<Py<PyAny>>,
    on_progress: Option<Py<PyAny>>,
    on_checkpoint: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let target = match (path, file) {
        (Some(p), None) => Target::File(args(py, open(&p, a.checkpoint.as_ref()))?),
        (None, Some(f)) => Target::Py(f),
        _ => return Err(to_pyerr(py, &input("give a path or a file".into()))),
    };
    let slot: Slot = Arc::new(Mutex::new(None));
    let sink = Sink {
        target,
        slot: slot.clone(),
    };
    let opts = ExportOptions {
        page_size: a.page_size,
        checkpoint: a.checkpoint,
        on_progress: on_progress.map(|cb| -> ProgressHook {
            Box::new(move |rows: u64| call_hook(&cb, |py| Ok(rows.into_pyobject(py)?.into_any())))
        }),
        on_checkpoint: on_checkpoint.map(|cb| -> CheckpointHook {
            Box::new(move |cp: &Checkpoint| {
                call_hook(&cb, |py| pythonize::pythonize(py, cp).map_err(PyErr::from))
            })
        }),
    };
    let (project, source, format) = (a.project, a.source, a.format);
    #[allow(clippy::result_large_err)]
    let result: Result<ExportReport, ExportError> =
        py.detach(|| client.export(project, &source, format, sink, opts));
    let taken = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    match result {
        Ok(report) => pythonize::pythonize(
            py,
            &serde_json::json!({
                "rows": report.rows,
                "pages": report.pages,
                "checkpoint": report.checkpoint,
            }),
        )
        .map_err(PyErr::from),
        Err(failed) => {
            let cp = pythonize::pythonize(py, &failed.checkpoint)?;
            if let Some(err) = taken.as_ref()
                && !err.is_instance_of::<PyException>(py)
            {
                // Ctrl-C and friends stay what they are.
                let _ = err.value(py).setattr("checkpoint", &cp);
                return Err(err.clone_ref(py));
            }
            let exc = exception(py, &failed.error)?;
            exc.setattr("checkpoint", &cp)?;
            if let Some(cause) = taken {
                exc.setattr("__cause__", cause.value(py))?;
            }
            Err(PyErr::from_value(exc))
        }
    }
}
