//! One property filter, compiled once: the operator as an enum and its filter value
//! pre-parsed (lower-cased text, number, date, version, regex).

pub(crate) mod date;
pub(crate) mod number;
pub(crate) mod regex;
pub(crate) mod semver;
pub(crate) mod text;

use crate::error::InconclusiveReason as R;
use serde_json::Value;
use std::cmp::Ordering;

/// The result of matching one filter: `Err` carries why it could not be decided.
pub(crate) type Matched = Result<bool, R>;

/// A compiled person or group property filter.
#[derive(Debug, Clone)]
pub(crate) struct PropertyFilter {
    /// The property key.
    pub(crate) key: String,
    op: Op,
}

#[derive(Debug, Clone)]
enum Op {
    Exact {
        negate: bool,
        m: Exact,
    },
    IsSet,
    IsNotSet,
    Contains {
        negate: bool,
        needle: String,
    },
    StartsWith {
        negate: bool,
        needle: String,
    },
    EndsWith {
        negate: bool,
        needle: String,
    },
    Regex {
        negate: bool,
        pattern: regex::Pattern,
    },
    Compare {
        want: CmpOp,
        n: number::Num,
    },
    Date {
        before: bool,
        date: date::FilterDate,
    },
    Semver {
        op: SemverOp,
    },
    /// An unknown operator or a filter value the operator cannot use.
    Unsupported,
}

#[derive(Debug, Clone, Copy)]
enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone, Copy)]
enum SemverOp {
    Cmp(CmpOp, semver::Version),
    Eq(semver::Version),
    Neq(semver::Version),
    Range(semver::Range),
}

#[derive(Debug, Clone)]
enum Exact {
    /// Any of these lower-cased texts.
    List(Vec<String>),
    /// An empty list under matching version 1: matches a value whose text is `true`.
    EmptyLegacy,
    /// One lower-cased text; under version 1 a boolean-like filter compares truthiness.
    One {
        lower: String,
        legacy_bool: Option<bool>,
    },
}

impl PropertyFilter {
    /// Compiles a filter from its JSON (`key`, `operator`, `value`).
    pub(crate) fn compile(prop: &Value, matching_version: u32) -> PropertyFilter {
        let key = match prop.get("key") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => text::text(other).into_owned(),
            None => String::new(),
        };
        let operator = match prop.get("operator") {
            Some(Value::String(s)) if !s.is_empty() => s.as_str(),
            Some(Value::Null) | None => "exact",
            Some(Value::String(_)) => "exact",
            Some(_) => "",
        };
        let value = prop.get("value").unwrap_or(&Value::Null);
        PropertyFilter {
            key,
            op: compile_op(operator, value, matching_version),
        }
    }

    /// Matches the filter against the property's value (`None`: not provided).
    pub(crate) fn matches(&self, value: Option<&Value>) -> Matched {
        if let Op::Unsupported = self.op {
            return Err(R::UnsupportedDefinition);
        }
        if let Op::Regex {
            pattern: regex::Pattern::ServerOnly,
            ..
        } = self.op
        {
            return Err(R::UnsupportedDefinition);
        }
        let Some(value) = value else {
            return Err(R::MissingContext);
        };
        match &self.op {
            Op::Unsupported => Err(R::UnsupportedDefinition),
            Op::Exact { negate, m } => Ok(exact(m, value) != *negate),
            Op::IsSet => Ok(true),
            Op::IsNotSet => Ok(false),
            Op::Contains { negate, needle } => {
                let hay = text::text(value);
                Ok(text::ascii_lower(&hay).contains(needle.as_str()) != *negate)
            }
            Op::StartsWith { negate, needle } => {
                let hay = text::text(value);
                Ok(text::ascii_lower(&hay).starts_with(needle.as_str()) != *negate)
            }
            Op::EndsWith { negate, needle } => {
                let hay = text::text(value);
                Ok(text::ascii_lower(&hay).ends_with(needle.as_str()) != *negate)
            }
            Op::Regex { negate, pattern } => match pattern {
                regex::Pattern::Compiled(re) => Ok(re.is_match(&text::text(value)) != *negate),
                regex::Pattern::Invalid => Ok(false),
                regex::Pattern::ServerOnly => Err(R::UnsupportedDefinition),
            },
            Op::Compare { want, n } => {
                if value.is_null() {
                    return Ok(false);
                }
                let Some(v) = number::parse_value(value) else {
                    return Ok(false);
                };
                Ok(v.cmp(*n).is_some_and(|o| cmp_ok(*want, o)))
            }
            Op::Date { before, date } => {
                let v = match value {
                    Value::Null => return Ok(false),
                    Value::String(s) => date::parse_iso(s).ok_or(R::MissingContext)?,
                    _ => return Err(R::MissingContext),
                };
                let Some(f) = date.resolve() else {
                    return Err(R::UnsupportedDefinition);
                };
                Ok(if *before { v < f } else { v > f })
            }
            Op::Semver { op } => {
                let v = match value {
                    Value::Null => return Ok(false),
                    Value::String(_) | Value::Number(_) => {
                        semver::parse(&text::text(value)).ok_or(R::MissingContext)?
                    }
                    _ => return Err(R::MissingContext),
                };
                Ok(match op {
                    SemverOp::Eq(f) => v == *f,
                    SemverOp::Neq(f) => v != *f,
                    SemverOp::Cmp(c, f) => cmp_ok(*c, v.cmp(f)),
                    SemverOp::Range((lo, hi)) => v >= *lo && v < *hi,
                })
            }
        }
    }
}

fn cmp_ok(want: CmpOp, o: Ordering) -> bool {
    match want {
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Gte => o != Ordering::Less,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Lte => o != Ordering::Greater,
    }
}

fn exact(m: &Exact, value: &Value) -> bool {
    let t = text::text(value);
    match m {
        Exact::List(items) => {
            let lower = text::lower(&t);
            items.iter().any(|i| *i == *lower)
        }
        Exact::EmptyLegacy => t.eq_ignore_ascii_case("true"),
        Exact::One {
            lower,
            legacy_bool: Some(b),
        } => {
            let _ = lower;
            t.eq_ignore_ascii_case("true") == *b
        }
        Exact::One {
            lower,
            legacy_bool: None,
        } => {
            if t.is_ascii() && lower.is_ascii() {
                t.eq_ignore_ascii_case(lower)
            } else {
                *text::lower(&t) == **lower
            }
        }
    }
}

fn compile_op(operator: &str, value: &Value, version: u32) -> Op {
    let lower_text = || text::lower(&text::text(value)).into_owned();
    let needle = || text::ascii_lower(&text::text(value)).into_owned();
    match operator {
        "exact" | "is_not" => {
            let m = match value {
                Value::Array(items) if items.is_empty() && version != 2 => Exact::EmptyLegacy,
                Value::Array(items) => Exact::List(
                    items
                        .iter()
                        .map(|i| text::lower(&text::text(i)).into_owned())
                        .collect(),
                ),
                _ => {
                    let lower = lower_text();
                    let legacy_bool = if version == 2 {
                        None
                    } else {
                        match value {
                            Value::Bool(b) => Some(*b),
                            Value::String(_) if lower == "true" => Some(true),
                            Value::String(_) if lower == "false" => Some(false),
                            _ => None,
                        }
                    };
                    Exact::One { lower, legacy_bool }
                }
            };
            Op::Exact {
                negate: operator == "is_not",
                m,
            }
        }
        "is_set" => Op::IsSet,
        "is_not_set" => Op::IsNotSet,
        "icontains" => Op::Contains {
            negate: false,
            needle: needle(),
        },
        "not_icontains" => Op::Contains {
            negate: true,
            needle: needle(),
        },
        "starts_with" => Op::StartsWith {
            negate: false,
            needle: needle(),
        },
        "not_starts_with" => Op::StartsWith {
            negate: true,
            needle: needle(),
        },
        "ends_with" => Op::EndsWith {
            negate: false,
            needle: needle(),
        },
        "not_ends_with" => Op::EndsWith {
            negate: true,
            needle: needle(),
        },
        "regex" | "not_regex" => Op::Regex {
            negate: operator == "not_regex",
            pattern: regex::compile(&text::text(value)),
        },
        "gt" | "gte" | "lt" | "lte" => {
            let want = match operator {
                "gt" => CmpOp::Gt,
                "gte" => CmpOp::Gte,
                "lt" => CmpOp::Lt,
                _ => CmpOp::Lte,
            };
            match number::parse_filter(value) {
                Some(n) => Op::Compare { want, n },
                None => Op::Unsupported,
            }
        }
        "is_date_before" | "is_date_after" => {
            let parsed = match value {
                Value::String(s) => date::FilterDate::parse(s),
                Value::Number(_) => date::FilterDate::parse(&text::text(value)),
                _ => None,
            };
            match parsed {
                Some(date) => Op::Date {
                    before: operator == "is_date_before",
                    date,
                },
                None => Op::Unsupported,
            }
        }
        "semver_eq" | "semver_neq" | "semver_gt" | "semver_gte" | "semver_lt" | "semver_lte"
        | "semver_tilde" | "semver_caret" | "semver_wildcard" => {
            let t = match value {
                Value::String(_) | Value::Number(_) => text::text(value),
                _ => return Op::Unsupported,
            };
            let op = if operator == "semver_wildcard" {
                semver::wildcard(&t).map(SemverOp::Range)
            } else {
                semver::parse(&t).map(|v| match operator {
                    "semver_eq" => SemverOp::Eq(v),
                    "semver_neq" => SemverOp::Neq(v),
                    "semver_gt" => SemverOp::Cmp(CmpOp::Gt, v),
                    "semver_gte" => SemverOp::Cmp(CmpOp::Gte, v),
                    "semver_lt" => SemverOp::Cmp(CmpOp::Lt, v),
                    "semver_lte" => SemverOp::Cmp(CmpOp::Lte, v),
                    "semver_tilde" => SemverOp::Range(semver::tilde(v)),
                    _ => SemverOp::Range(semver::caret(v)),
                })
            };
            match op {
                Some(op) => Op::Semver { op },
                None => Op::Unsupported,
            }
        }
        _ => Op::Unsupported,
    }
}
