//! Bulk synthetic events for export benchmarks: one transaction, one prepared statement.

use chrono::{DateTime, Duration, Utc};

use super::{Db, DbError, persons, time};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GenerateSpec {
    /// How many events.
    pub(crate) count: u64,
    /// Their event name.
    pub(crate) event: String,
    /// The first timestamp.
    pub(crate) start: DateTime<Utc>,
    /// Timestamps are spread evenly over `[start, end)`.
    pub(crate) end: DateTime<Utc>,
    /// How many distinct ids (`user-0` … `user-{n-1}`), round-robin; each gets a person.
    pub(crate) distinct_ids: u64,
}

const BROWSERS: [&str; 4] = ["Chrome", "Firefox", "Safari", "Edge"];
const OSES: [&str; 3] = ["Mac OS X", "Windows", "Linux"];

/// Inserts the events; uuids are `{generation:08x}-0000-4000-8000-{index:012x}`.
pub(crate) fn run(db: &mut Db, spec: &GenerateSpec, generation: u64) -> Result<u64, DbError> {
    if spec.end < spec.start {
        return Err(DbError::Invalid("`end` is before `start`".to_owned()));
    }
    let ids = spec.distinct_ids.max(1);
    let span = (spec.end - spec.start)
        .num_microseconds()
        .ok_or_else(|| DbError::Invalid("the time span is too long".to_owned()))?;
    let count = spec.count;
    let start_text = time::format(spec.start);
    let tx = db.conn.transaction()?;
    // The persons of the distinct ids, created first (deterministic ids when new).
    let mut person_ids = Vec::with_capacity(usize::try_from(ids.min(count)).unwrap_or(0));
    for i in 0..ids.min(count) {
        let distinct_id = format!("user-{i}");
        let id = match db.person_of.get(&distinct_id) {
            Some(id) => id.clone(),
            None => {
                let id = format!("00000000-0000-4000-9000-{i:012x}");
                persons::insert(&tx, &id, &start_text, &distinct_id)?;
                db.person_of.insert(distinct_id, id.clone());
                id
            }
        };
        person_ids.push(id);
    }
    {
        let mut insert = tx.prepare(
            "INSERT INTO events (uuid, event, distinct_id, timestamp, properties, person_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for i in 0..count {
            let offset = i128::from(span) * i128::from(i) / i128::from(count.max(1));
            let at = spec.start + Duration::microseconds(i64::try_from(offset).unwrap_or(0));
            let slot = i % ids;
            let person = person_ids
                .get(usize::try_from(slot).unwrap_or(0))
                .map(String::as_str);
            let n = usize::try_from(i).unwrap_or(0);
            let properties = format!(
                "{{\"$browser\":\"{}\",\"$os\":\"{}\",\"$current_url\":\"https://example.com/page/{}\",\"index\":{i}}}",
                BROWSERS[n % BROWSERS.len()],
                OSES[n % OSES.len()],
                i % 50,
            );
            insert.execute(rusqlite::params![
                format!("{generation:08x}-0000-4000-8000-{i:012x}"),
                spec.event,
                format!("user-{slot}"),
                time::format(at),
                properties,
                person,
            ])?;
        }
    }
    tx.commit()?;
    Ok(count)
}
