//! The SQLite database behind the private API: every stored event and the persons they
//! make, queried by the HogQL subset ([`crate::hogql`]).

mod generate;
mod persons;
pub(crate) mod time;

use std::collections::HashMap;

use chrono::Utc;
use rusqlite::Connection;
use serde_json::{Map, Value};

use crate::records::StoredEvent;

pub(crate) use generate::GenerateSpec;
pub(crate) use persons::Person;

/// A failure of the database.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    /// SQLite refused something.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A request the database cannot serve.
    #[error("{0}")]
    Invalid(String),
}

const SCHEMA: &str = "
CREATE TABLE events (
    uuid TEXT NOT NULL,
    event TEXT NOT NULL,
    distinct_id TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    properties TEXT NOT NULL,
    person_id TEXT
);
CREATE INDEX events_timestamp_uuid ON events (timestamp, uuid);
CREATE TABLE persons (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    properties TEXT NOT NULL,
    distinct_ids TEXT NOT NULL
);
";

/// One in-memory SQLite database, with a cache of distinct id → person id.
pub(crate) struct Db {
    pub(crate) conn: Connection,
    person_of: HashMap<String, String>,
    /// How many [`Db::generate`] calls ran since the last clear (it seeds their uuids).
    generation: u64,
}

impl Db {
    /// Opens an empty in-memory database with the schema.
    pub(crate) fn open() -> Result<Db, DbError> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(SCHEMA)?;
        // ClickHouse's LIKE is case-sensitive; SQLite's is not unless told.
        conn.pragma_update(None, "case_sensitive_like", true)?;
        Ok(Db {
            conn,
            person_of: HashMap::new(),
            generation: 0,
        })
    }

    /// Removes every event and person.
    pub(crate) fn clear(&mut self) -> Result<(), DbError> {
        self.conn
            .execute_batch("DELETE FROM events; DELETE FROM persons;")?;
        self.person_of.clear();
        self.generation = 0;
        Ok(())
    }

    /// Inserts stored events (one transaction) and applies their person updates:
    /// every new distinct id gets a person; `$identify` with `$anon_distinct_id` joins the
    /// two ids in one person (see [`persons::identify`]); `$set` / `$set_once` (in the
    /// properties or at the event's root) update the person's properties.
    pub(crate) fn insert_events(&mut self, events: &[StoredEvent]) -> Result<(), DbError> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (uuid, event, distinct_id, timestamp, properties, person_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for event in events {
                let timestamp = event_time(event);
                if let Some(anon) = event
                    .properties
                    .get("$anon_distinct_id")
                    .and_then(Value::as_str)
                    .filter(|a| event.event == "$identify" && !a.is_empty())
                {
                    persons::identify(&tx, &mut self.person_of, &event.distinct_id, anon)?;
                }
                let person =
                    persons::person_for(&tx, &mut self.person_of, &event.distinct_id, &timestamp)?;
                apply_person_updates(&tx, &person, event)?;
                let uuid = event
                    .uuid
                    .clone()
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                let properties = Value::Object(event.properties.clone()).to_string();
                insert.execute(rusqlite::params![
                    uuid,
                    event.event,
                    event.distinct_id,
                    timestamp,
                    properties,
                    person
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Bulk-inserts synthetic events; answers how many.
    pub(crate) fn generate(&mut self, spec: &GenerateSpec) -> Result<u64, DbError> {
        self.generation += 1;
        let generation = self.generation;
        generate::run(self, spec, generation)
    }

    /// The persons, optionally only the one owning `distinct_id`, by creation, a page.
    pub(crate) fn persons(
        &self,
        distinct_id: Option<&str>,
        limit: usize,
        offset: usize,
    ) -> Result<(usize, Vec<Person>), DbError> {
        persons::list(self, distinct_id, limit, offset)
    }

    /// One person by id.
    pub(crate) fn person(&self, id: &str) -> Result<Option<Person>, DbError> {
        persons::get(&self.conn, id)
    }

    /// Deletes one person (their events stay); true when it existed.
    pub(crate) fn delete_person(&mut self, id: &str) -> Result<bool, DbError> {
        let Some(person) = persons::get(&self.conn, id)? else {
            return Ok(false);
        };
        for distinct_id in &person.distinct_ids {
            self.person_of.remove(distinct_id);
        }
        self.conn
            .execute("DELETE FROM persons WHERE id = ?1", [id])?;
        Ok(true)
    }
}

/// The event's time as stored: the skew-corrected timestamp, else the sent one, else now.
fn event_time(event: &StoredEvent) -> String {
    event
        .corrected_timestamp
        .as_deref()
        .and_then(time::normalize)
        .or_else(|| {
            event
                .timestamp
                .as_ref()
                .and_then(Value::as_str)
                .and_then(time::normalize)
        })
        .unwrap_or_else(|| time::format(Utc::now()))
}

fn apply_person_updates(
    tx: &rusqlite::Transaction<'_>,
    person: &str,
    event: &StoredEvent,
) -> Result<(), DbError> {
    let object = |v: Option<&Value>| v.and_then(Value::as_object).cloned();
    let mut set: Map<String, Value> = object(event.properties.get("$set")).unwrap_or_default();
    set.extend(event.set.clone().unwrap_or_default());
    let mut set_once: Map<String, Value> =
        object(event.properties.get("$set_once")).unwrap_or_default();
    set_once.extend(event.set_once.clone().unwrap_or_default());
    if !set.is_empty() || !set_once.is_empty() {
        persons::update_properties(tx, person, &set, &set_once)?;
    }
    Ok(())
}
