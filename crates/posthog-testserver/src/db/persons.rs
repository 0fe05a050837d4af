//! The persons table: one person per new distinct id, properties from `$set` /
//! `$set_once`, more distinct ids from `$identify`.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Row};
use serde_json::{Map, Value, json};

use super::{Db, DbError};

/// One person as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Person {
    pub(crate) id: String,
    pub(crate) created_at: String,
    pub(crate) properties: Map<String, Value>,
    pub(crate) distinct_ids: Vec<String>,
}

impl Person {
    /// The private API's JSON form of a person.
    pub(crate) fn to_json(&self) -> Value {
        let name = self
            .properties
            .get("email")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| self.distinct_ids.first().cloned())
            .unwrap_or_default();
        json!({
            "id": self.id,
            "uuid": self.id,
            "name": name,
            "distinct_ids": self.distinct_ids,
            "properties": self.properties,
            "created_at": self.created_at,
            "is_identified": self.distinct_ids.len() > 1,
        })
    }

    fn from_row(row: &Row<'_>) -> rusqlite::Result<Person> {
        let properties: String = row.get(2)?;
        let distinct_ids: String = row.get(3)?;
        Ok(Person {
            id: row.get(0)?,
            created_at: row.get(1)?,
            properties: serde_json::from_str(&properties).unwrap_or_default(),
            distinct_ids: serde_json::from_str(&distinct_ids).unwrap_or_default(),
        })
    }
}

const COLUMNS: &str = "id, created_at, properties, distinct_ids";

/// The person of `distinct_id`, created (with a random uuid) when new.
pub(crate) fn person_for(
    conn: &Connection,
    person_of: &mut HashMap<String, String>,
    distinct_id: &str,
    created_at: &str,
) -> Result<String, DbError> {
    if let Some(id) = person_of.get(distinct_id) {
        return Ok(id.clone());
    }
    let id = uuid::Uuid::new_v4().to_string();
    insert(conn, &id, created_at, distinct_id)?;
    person_of.insert(distinct_id.to_owned(), id.clone());
    Ok(id)
}

/// `$identify` of `distinct_id` with `$anon_distinct_id` `anon`: when only one of the two
/// ids has a person, the other id joins it; when both have different persons, the
/// anonymous one is merged into the identified one (distinct ids appended, its
/// properties kept where the identified person lacks them, its events moved) and
/// deleted.
pub(crate) fn identify(
    conn: &Connection,
    person_of: &mut HashMap<String, String>,
    distinct_id: &str,
    anon: &str,
) -> Result<(), DbError> {
    let known = person_of.get(distinct_id).cloned();
    let anon_person = person_of.get(anon).cloned();
    match (known, anon_person) {
        (None, Some(person)) => {
            add_distinct_id(conn, &person, distinct_id)?;
            person_of.insert(distinct_id.to_owned(), person);
        }
        (Some(person), None) => {
            add_distinct_id(conn, &person, anon)?;
            person_of.insert(anon.to_owned(), person);
        }
        (Some(person), Some(other)) if person != other => {
            let (Some(mut keep), Some(gone)) = (get(conn, &person)?, get(conn, &other)?) else {
                return Ok(());
            };
            for id in &gone.distinct_ids {
                keep.distinct_ids.push(id.clone());
                person_of.insert(id.clone(), person.clone());
            }
            for (k, v) in gone.properties {
                keep.properties.entry(k).or_insert(v);
            }
            let ids = Value::from(keep.distinct_ids).to_string();
            let properties = Value::Object(keep.properties).to_string();
            conn.execute(
                "UPDATE persons SET distinct_ids = ?1, properties = ?2 WHERE id = ?3",
                [ids.as_str(), properties.as_str(), person.as_str()],
            )?;
            conn.execute("DELETE FROM persons WHERE id = ?1", [other.as_str()])?;
            conn.execute(
                "UPDATE events SET person_id = ?1 WHERE person_id = ?2",
                [person.as_str(), other.as_str()],
            )?;
        }
        _ => {}
    }
    Ok(())
}

/// Inserts a person with one distinct id and no properties.
pub(crate) fn insert(
    conn: &Connection,
    id: &str,
    created_at: &str,
    distinct_id: &str,
) -> Result<(), DbError> {
    let ids = Value::from(vec![distinct_id]).to_string();
    conn.prepare_cached(
        "INSERT INTO persons (id, created_at, properties, distinct_ids) VALUES (?1, ?2, '{}', ?3)",
    )?
    .execute([id, created_at, ids.as_str()])?;
    Ok(())
}

/// One person by id.
pub(crate) fn get(conn: &Connection, id: &str) -> Result<Option<Person>, DbError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM persons WHERE id = ?1"))?
        .query_row([id], Person::from_row)
        .optional()?)
}

/// Adds a distinct id to a person.
pub(crate) fn add_distinct_id(
    conn: &Connection,
    person: &str,
    distinct_id: &str,
) -> Result<(), DbError> {
    if let Some(mut p) = get(conn, person)? {
        p.distinct_ids.push(distinct_id.to_owned());
        let ids = Value::from(p.distinct_ids).to_string();
        conn.execute(
            "UPDATE persons SET distinct_ids = ?1 WHERE id = ?2",
            [ids.as_str(), person],
        )?;
    }
    Ok(())
}

/// Applies `$set` (overwrite) and `$set_once` (only absent keys).
pub(crate) fn update_properties(
    conn: &Connection,
    person: &str,
    set: &Map<String, Value>,
    set_once: &Map<String, Value>,
) -> Result<(), DbError> {
    let Some(mut p) = get(conn, person)? else {
        return Ok(());
    };
    for (k, v) in set_once {
        p.properties.entry(k.clone()).or_insert_with(|| v.clone());
    }
    p.properties.extend(set.clone());
    let properties = Value::Object(p.properties).to_string();
    conn.execute(
        "UPDATE persons SET properties = ?1 WHERE id = ?2",
        [properties.as_str(), person],
    )?;
    Ok(())
}

/// A page of persons (by creation, then id) and the total that match.
pub(crate) fn list(
    db: &Db,
    distinct_id: Option<&str>,
    limit: usize,
    offset: usize,
) -> Result<(usize, Vec<Person>), DbError> {
    if let Some(distinct_id) = distinct_id {
        let found = match db.person_of.get(distinct_id) {
            Some(id) => get(&db.conn, id)?,
            None => None,
        };
        let all: Vec<Person> = found.into_iter().collect();
        let count = all.len();
        return Ok((count, all.into_iter().skip(offset).take(limit).collect()));
    }
    let count: i64 = db
        .conn
        .query_row("SELECT count(*) FROM persons", [], |r| r.get(0))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let mut stmt = db.conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM persons ORDER BY created_at, id LIMIT ?1 OFFSET ?2"
    ))?;
    let people = stmt
        .query_map([limit, offset], Person::from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((usize::try_from(count).unwrap_or(0), people))
}
