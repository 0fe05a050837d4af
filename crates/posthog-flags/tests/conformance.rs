//! Runs every line of the shared conformance vectors (`tests/data/*.jsonl`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use posthog_flags::{Definitions, EvalContext, FlagValue, hash, match_property};
use serde_json::{Map, Value, json};

fn lines(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

struct Report {
    total: usize,
    failures: Vec<String>,
}

impl Report {
    fn new() -> Report {
        Report {
            total: 0,
            failures: Vec::new(),
        }
    }
    fn check(&mut self, line: &Value, ok: bool, expected: &Value, got: String) {
        self.total += 1;
        if !ok {
            self.failures.push(format!(
                "{} ({}): expected {} got {}",
                line["id"].as_str().unwrap_or("?"),
                line["note"].as_str().unwrap_or(""),
                expected,
                got
            ));
        }
    }
    fn finish(self, file: &str) {
        for f in self.failures.iter().take(40) {
            println!("FAIL {f}");
        }
        println!(
            "{file}: {} of {} lines pass",
            self.total - self.failures.len(),
            self.total
        );
        assert!(
            self.failures.is_empty(),
            "{} of {} lines of {file} failed",
            self.failures.len(),
            self.total
        );
    }
}

#[test]
fn hash_vectors() {
    let mut r = Report::new();
    for line in lines("hash.jsonl") {
        let sep = line.get("separator").and_then(Value::as_str).unwrap_or(".");
        let got = hash::hash_with(
            line["key"].as_str().unwrap(),
            sep,
            line["bucketing_value"].as_str().unwrap(),
            line["salt"].as_str().unwrap(),
        );
        let want = line["hash"].as_f64().unwrap();
        r.check(&line, got == want, &line["hash"], got.to_string());
    }
    r.finish("hash.jsonl");
}

#[test]
fn property_vectors() {
    let mut r = Report::new();
    for line in lines("properties.jsonl") {
        let version = line
            .get("property_matching_version")
            .and_then(Value::as_u64)
            .unwrap_or(1) as u32;
        let values = line["values"].as_object().unwrap();
        let got = match_property(&line["property"], values, version);
        let expected = &line["expected"];
        let ok = match (expected, &got) {
            (Value::Bool(b), Ok(g)) => b == g,
            (Value::String(s), Err(e)) if s == "inconclusive" => match line.get("reason") {
                Some(Value::String(reason)) => reason == e.reason.as_str(),
                _ => true,
            },
            _ => false,
        };
        let want = match line.get("reason") {
            Some(reason) => json!([expected, reason]),
            None => expected.clone(),
        };
        let got = match got {
            Ok(b) => b.to_string(),
            Err(e) => format!("inconclusive {}", e.reason.as_str()),
        };
        r.check(&line, ok, &want, got);
    }
    r.finish("properties.jsonl");
}

fn run_flag_file(name: &str) {
    let mut r = Report::new();
    for line in lines(name) {
        let mut flags = vec![line["flag"].clone()];
        if let Some(Value::Array(more)) = line.get("flags") {
            flags.extend(more.iter().cloned());
        }
        let mut response = Map::new();
        response.insert("flags".into(), Value::Array(flags));
        for k in ["group_type_mapping", "cohorts", "property_matching_version"] {
            if let Some(v) = line.get(k) {
                response.insert(k.into(), v.clone());
            }
        }
        let defs = Definitions::parse(&Value::Object(response)).unwrap();
        let obj = |k: &str| {
            line.get(k)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let ctx = EvalContext {
            distinct_id: line["distinct_id"].as_str().unwrap().to_string(),
            device_id: line
                .get("device_id")
                .and_then(Value::as_str)
                .map(str::to_string),
            person_properties: obj("person_properties"),
            groups: obj("groups"),
            group_properties: obj("group_properties"),
        };
        let key = line["flag"]["key"].as_str().unwrap();
        let got = defs.evaluate(key, &ctx);
        let expected = &line["expected"];
        let ok = if expected.get("inconclusive").is_some() {
            match (&got, expected.get("reason")) {
                (Err(e), Some(Value::String(reason))) => reason == e.reason.as_str(),
                (Err(_), _) => true,
                _ => false,
            }
        } else {
            match &got {
                Ok(ev) => {
                    let value_ok = match (&expected["value"], &ev.value) {
                        (Value::Bool(b), FlagValue::Bool(g)) => b == g,
                        (Value::String(s), FlagValue::Variant(g)) => s == g,
                        _ => false,
                    };
                    let payload_ok = match expected.get("payload") {
                        None => true,
                        Some(Value::Null) => ev.payload.is_none(),
                        Some(p) => ev.payload.as_ref() == Some(p),
                    };
                    value_ok && payload_ok
                }
                Err(_) => false,
            }
        };
        let got = match got {
            Ok(ev) => format!(
                "{} payload {:?} ({})",
                ev.value.to_json(),
                ev.payload,
                ev.reason
            ),
            Err(e) => format!("inconclusive {} ({})", e.reason.as_str(), e.detail),
        };
        r.check(&line, ok, expected, got);
    }
    r.finish(name);
}

#[test]
fn consistency_vectors() {
    run_flag_file("consistency.jsonl");
}

#[test]
fn flag_vectors() {
    run_flag_file("flags.jsonl");
}
