//! `Client::capture_exception`: the `$exception` event of a server-side client.

use super::{ExceptionInput, ExceptionOptions, exception_properties};
use crate::client::Client;
use crate::event::Event;
use serde_json::{Map, Value};
use uuid::Uuid;

impl Client {
    /// Captures `$exception` for `distinct_id`: [`exception_properties`] with this client's
    /// profile, then `properties` (which win), through the normal queue. Returns the uuid, or
    /// `None` when the event was not accepted (counted and reported, as for any capture).
    pub fn capture_exception(
        &self,
        distinct_id: impl Into<String>,
        exception: &ExceptionInput,
        options: &ExceptionOptions,
        properties: Map<String, Value>,
    ) -> Option<Uuid> {
        let props = exception_properties(self.config().profile, exception, options, properties);
        self.capture(Event::new("$exception", distinct_id).properties(props))
    }
}
