//! A Python iterator over a core `Pager`: each `__next__` that needs a new page fetches it with
//! the GIL released.

use crate::errors::to_pyerr;
use posthog_core::Error;
use posthog_core::admin::Pager;
use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Mutex;

/// A core pager whatever its item type, its items as JSON.
trait Pages: Send {
    fn next_value(&mut self) -> Option<Result<Value, Error>>;
    fn total(&self) -> Option<u64>;
    fn pages_fetched(&self) -> usize;
}

impl<T: DeserializeOwned + Serialize> Pages for Pager<T> {
    fn next_value(&mut self) -> Option<Result<Value, Error>> {
        self.next().map(|item| {
            item.and_then(|v| {
                serde_json::to_value(v)
                    .map_err(|e| Error::Unexpected(format!("cannot convert a list item: {e}")))
            })
        })
    }
    fn total(&self) -> Option<u64> {
        Pager::total(self)
    }
    fn pages_fetched(&self) -> usize {
        Pager::pages_fetched(self)
    }
}

/// The items of a list endpoint, one page fetched at a time (`posthog_sdk.admin.Pager`).
#[pyclass(module = "posthog_sdk._native", name = "AdminPager", frozen)]
pub struct AdminPager {
    inner: Mutex<Box<dyn Pages>>,
}

impl AdminPager {
    pub fn new<T: DeserializeOwned + Serialize + 'static>(pager: Pager<T>) -> AdminPager {
        AdminPager {
            inner: Mutex::new(Box::new(pager)),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut dyn Pages) -> R) -> R {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(guard.as_mut())
    }
}

#[pymethods]
impl AdminPager {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match py.detach(|| self.with(|p| p.next_value())) {
            None => Err(PyStopIteration::new_err(())),
            Some(Err(e)) => Err(to_pyerr(py, &e)),
            Some(Ok(v)) => pythonize::pythonize(py, &v).map_err(PyErr::from),
        }
    }

    /// The total the server announced (`count`), once a page has been fetched.
    #[getter]
    fn total(&self) -> Option<u64> {
        self.with(|p| p.total())
    }

    /// How many pages were fetched so far.
    #[getter]
    fn pages_fetched(&self) -> usize {
        self.with(|p| p.pages_fetched())
    }
}
