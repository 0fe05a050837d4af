//! Lazy paging over PostHog's lists (`{count?, next, previous, results}`): the next page is
//! fetched only when the current one is used up, and `next` is followed only on the
//! configured origin.

use super::budget::RateClass;
use super::client::Inner;
use super::http::{Call, decode};
use crate::error::Error;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// An iterator over every item of a list endpoint, page by page.
///
/// Each `next()` returns a buffered item or, when the page is used up, blocks to fetch the next
/// page. After an error the iterator ends.
pub struct Pager<T> {
    inner: Arc<Inner>,
    class: RateClass,
    next: Option<String>,
    buf: VecDeque<Value>,
    count: Option<u64>,
    pages: usize,
    /// An error to report once the buffered items are out (a refused `next`).
    pending: Option<Error>,
    /// Every page URL fetched, so a `next` that leads back (a loop) ends the list.
    seen: std::collections::HashSet<String>,
    _t: PhantomData<fn() -> T>,
}

impl<T> Pager<T> {
    pub(crate) fn new(inner: Arc<Inner>, first: String, class: RateClass) -> Pager<T> {
        Pager {
            inner,
            class,
            next: Some(first),
            buf: VecDeque::new(),
            count: None,
            pages: 0,
            pending: None,
            seen: std::collections::HashSet::new(),
            _t: PhantomData,
        }
    }

    /// The total the server announced (`count`, or `total_count` for activity pages), once a
    /// page has been fetched; `None` for lists PostHog does not count (persons, cursors).
    pub fn total(&self) -> Option<u64> {
        self.count
    }

    /// How many pages were fetched so far.
    pub fn pages_fetched(&self) -> usize {
        self.pages
    }

    /// The URL of the page that will be fetched next, if any.
    pub fn next_url(&self) -> Option<&str> {
        self.next.as_deref()
    }

    fn fetch(&mut self, url: String) -> Result<(), Error> {
        let page = self.inner.send(Call::get(url.clone(), self.class))?;
        self.apply(url, page)
    }

    /// Takes in one fetched page.
    fn apply(&mut self, url: String, page: Value) -> Result<(), Error> {
        self.pages += 1;
        let (results, next, count) = match page {
            Value::Array(items) => (items, None, None),
            Value::Object(mut map) => {
                let results = match map.remove("results") {
                    Some(Value::Array(items)) => items,
                    _ => {
                        return Err(Error::Unexpected(
                            "a list answer has no \"results\" array".into(),
                        ));
                    }
                };
                let next = map.get("next").and_then(Value::as_str).map(str::to_string);
                // DRF's `count`, or the `total_count` of PostHog's activity pages
                let count = map
                    .get("count")
                    .or_else(|| map.get("total_count"))
                    .and_then(Value::as_u64);
                (results, next, count)
            }
            _ => return Err(Error::Unexpected("a list answer is not an object".into())),
        };
        if count.is_some() {
            self.count = count;
        }
        self.buf = results.into();
        self.next = None;
        self.seen.insert(url.clone());
        if let Some(n) = next {
            match self.inner.http.same_origin(&n) {
                Ok(n) if n == url => {
                    self.pending = Some(Error::Unexpected(
                        "a list answer points to itself as its next page".into(),
                    ));
                }
                Ok(n) if self.seen.contains(&n) => {
                    self.pending = Some(Error::Unexpected(
                        "a list answer's next page was already read (the pages loop)".into(),
                    ));
                }
                Ok(n) => self.next = Some(n),
                Err(e) => self.pending = Some(e),
            }
        }
        Ok(())
    }
}

impl<T: DeserializeOwned> Pager<T> {
    /// The rest of the current page, or else the next page (fetched now); `None` after the
    /// last. For callers that work page by page, such as a binding's `nextPage()`. Mixing it
    /// with `next()` is fine: no item is returned twice.
    pub fn next_page(&mut self) -> Option<Result<Vec<T>, Error>> {
        while self.buf.is_empty() {
            if let Some(e) = self.pending.take() {
                return Some(Err(e));
            }
            let url = self.next.take()?;
            if let Err(e) = self.fetch(url) {
                self.buf.clear();
                self.next = None;
                return Some(Err(e));
            }
        }
        Some(self.buf.drain(..).map(|v| decode(v, "list item")).collect())
    }
}

impl<T: DeserializeOwned + Send + 'static> Pager<T> {
    /// The same list as an async `Stream`, fetching each page only when needed. Pages are
    /// fetched on the client's worker, so it runs on any executor and never blocks one.
    pub fn into_stream(self) -> impl futures_util::Stream<Item = Result<T, Error>> + Send {
        futures_util::stream::unfold(self, |mut p| async move {
            loop {
                if let Some(v) = p.buf.pop_front() {
                    return Some((decode(v, "list item"), p));
                }
                if let Some(e) = p.pending.take() {
                    return Some((Err(e), p));
                }
                let url = p.next.take()?;
                let fetched = p.inner.send_async(Call::get(url.clone(), p.class)).await;
                if let Err(e) = fetched.and_then(|page| p.apply(url, page)) {
                    p.buf.clear();
                    p.next = None;
                    return Some((Err(e), p));
                }
            }
        })
    }
}

impl<T: DeserializeOwned> Iterator for Pager<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Result<T, Error>> {
        loop {
            if let Some(v) = self.buf.pop_front() {
                return Some(decode(v, "list item"));
            }
            if let Some(e) = self.pending.take() {
                return Some(Err(e));
            }
            let url = self.next.take()?;
            if let Err(e) = self.fetch(url.clone()) {
                self.buf.clear();
                self.next = None;
                return Some(Err(e));
            }
        }
    }
}

impl<T> fmt::Debug for Pager<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pager")
            .field("next", &self.next)
            .field("buffered", &self.buf.len())
            .field("count", &self.count)
            .field("pages", &self.pages)
            .finish()
    }
}
