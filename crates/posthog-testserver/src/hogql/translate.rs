//! Translation of a parsed HogQL `SELECT` into SQLite SQL with bound parameters. Only
//! names the translator knows are emitted; every literal and placeholder is a parameter.

use chrono::{DateTime, Duration, Utc};
use rusqlite::types::Value as Sql;
use serde_json::{Map, Value};

use super::QueryError;
use super::ast::{BinOp, Expr, Select, Unit};
use crate::db::time;

/// Rows per answer when the query has no `LIMIT`.
pub(crate) const DEFAULT_LIMIT: usize = 100;
/// The largest `LIMIT` honoured; larger ones are clamped.
pub(crate) const MAX_LIMIT: usize = 50_000;

/// A ClickHouse type name the answer reports for a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    String,
    Uuid,
    DateTime,
    UInt64,
    Int64,
    Float64,
    Bool,
    Nothing,
}

impl Ty {
    /// The name PostHog answers in `types`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Ty::String => "String",
            Ty::Uuid => "UUID",
            Ty::DateTime => super::output::DATETIME_UTC,
            Ty::UInt64 => "UInt64",
            Ty::Int64 => "Int64",
            Ty::Float64 => "Float64",
            Ty::Bool => "UInt8",
            Ty::Nothing => "Nullable(Nothing)",
        }
    }
}

/// What to run and how to label it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// SQLite SQL; it fetches `limit + 1` rows so the caller can tell `hasMore`.
    pub(crate) sql: String,
    pub(crate) params: Vec<Sql>,
    pub(crate) columns: Vec<String>,
    pub(crate) types: Vec<Ty>,
    pub(crate) limit: usize,
    pub(crate) offset: usize,
}

const EVENT_COLUMNS: [(&str, Ty); 6] = [
    ("uuid", Ty::Uuid),
    ("event", Ty::String),
    ("distinct_id", Ty::String),
    ("timestamp", Ty::DateTime),
    ("properties", Ty::String),
    ("person_id", Ty::Uuid),
];
const PERSON_COLUMNS: [(&str, Ty); 3] = [
    ("id", Ty::Uuid),
    ("created_at", Ty::DateTime),
    ("properties", Ty::String),
];

/// Translates `select` with these placeholder values, `now` standing for `now()`, and
/// `tz` the project's time zone (a `toDateTime` text without an offset is a time there).
pub(crate) fn translate(
    select: &Select,
    values: &Map<String, Value>,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Plan, QueryError> {
    let columns: &[(&str, Ty)] = match select.from.as_str() {
        "events" => &EVENT_COLUMNS,
        "persons" => &PERSON_COLUMNS,
        other => {
            return Err(QueryError::new(format!(
                "Unknown table `{other}`: only `events` and `persons` are served"
            )));
        }
    };
    let mut t = Translator {
        table: &select.from,
        columns,
        values,
        now,
        tz,
        params: Vec::new(),
        aliases: Vec::new(),
    };
    let mut parts = Vec::new();
    let mut names = Vec::new();
    let mut types = Vec::new();
    for (expr, alias) in &select.columns {
        let (sql, ty) = t.expr(expr)?;
        let name = match (alias, expr) {
            (Some(alias), _) => alias.clone(),
            (None, Expr::Field(chain)) => chain.last().cloned().unwrap_or_default(),
            (None, other) => other.to_string(),
        };
        match alias {
            Some(alias) => {
                parts.push(format!("{sql} AS {}", quote(alias)));
                t.aliases.push((alias.clone(), ty));
            }
            None => parts.push(sql),
        }
        names.push(name);
        types.push(ty);
    }
    let mut sql = format!("SELECT {} FROM {}", parts.join(", "), select.from);
    if let Some(filter) = &select.filter {
        let (where_sql, _) = t.expr(filter)?;
        sql.push_str(&format!(" WHERE {where_sql}"));
    }
    if !select.group_by.is_empty() {
        let keys = select
            .group_by
            .iter()
            .map(|e| t.expr(e).map(|(s, _)| s))
            .collect::<Result<Vec<_>, _>>()?;
        sql.push_str(&format!(" GROUP BY {}", keys.join(", ")));
    }
    if !select.order_by.is_empty() {
        let keys = select
            .order_by
            .iter()
            .map(|(e, desc)| {
                t.expr(e)
                    .map(|(s, _)| format!("{s} {}", if *desc { "DESC" } else { "ASC" }))
            })
            .collect::<Result<Vec<_>, _>>()?;
        sql.push_str(&format!(" ORDER BY {}", keys.join(", ")));
    }
    let limit = match select.limit {
        None => DEFAULT_LIMIT,
        Some(n) if n < 0 => return Err(QueryError::new("LIMIT must not be negative".into())),
        Some(n) => usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
    };
    let offset = match select.offset {
        None => 0,
        Some(n) => {
            usize::try_from(n).map_err(|_| QueryError::new("OFFSET must not be negative".into()))?
        }
    };
    sql.push_str(&format!(" LIMIT {} OFFSET {offset}", limit + 1));
    Ok(Plan {
        sql,
        params: t.params,
        columns: names,
        types,
        limit,
        offset,
    })
}

/// A name as a quoted SQLite identifier (names come from the lexer: `[A-Za-z0-9_$]`).
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

struct Translator<'a> {
    table: &'a str,
    columns: &'a [(&'a str, Ty)],
    values: &'a Map<String, Value>,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
    params: Vec<Sql>,
    aliases: Vec<(String, Ty)>,
}

impl Translator<'_> {
    fn bind(&mut self, value: Sql) -> String {
        self.params.push(value);
        format!("?{}", self.params.len())
    }

    fn placeholder(&self, name: &str) -> Result<&Value, QueryError> {
        self.values
            .get(name)
            .ok_or_else(|| QueryError::new(format!("Placeholder {{{name}}} has no value")))
    }

    fn expr(&mut self, expr: &Expr) -> Result<(String, Ty), QueryError> {
        if let Some(time) = self.constant_time(expr)? {
            return Ok((self.bind(Sql::Text(time::format(time))), Ty::DateTime));
        }
        match expr {
            Expr::Field(chain) => self.field(chain),
            Expr::Str(s) => Ok((self.bind(Sql::Text(s.clone())), Ty::String)),
            Expr::Int(n) => Ok((self.bind(Sql::Integer(*n)), Ty::Int64)),
            Expr::Float(n) => Ok((self.bind(Sql::Real(*n)), Ty::Float64)),
            Expr::Null => Ok(("NULL".to_owned(), Ty::Nothing)),
            Expr::Placeholder(name) => {
                let value = self.placeholder(name)?.clone();
                let (sql, ty) = scalar(name, &value)?;
                Ok((self.bind(sql), ty))
            }
            Expr::Call {
                name,
                args,
                star,
                distinct,
            } => self.call(name, args, *star, *distinct),
            Expr::Interval(..) => Err(QueryError::new(
                "INTERVAL is only supported as `now() - INTERVAL n UNIT` or on toDateTime('…')"
                    .into(),
            )),
            Expr::Binary(op, l, r) if op.is_comparison() => {
                // Parameters are numbered, so either side may be translated first: the
                // non-constant side decides how a string constant on the other is read.
                let (ls, rs) = if is_constant(l) && !is_constant(r) {
                    let (rs, rt) = self.expr(r)?;
                    (self.operand(l, rt)?.0, rs)
                } else {
                    let (ls, lt) = self.expr(l)?;
                    (ls, self.operand(r, lt)?.0)
                };
                Ok((format!("({ls} {} {rs})", op.text()), Ty::Bool))
            }
            Expr::Binary(op @ (BinOp::And | BinOp::Or), l, r) => {
                let (ls, _) = self.expr(l)?;
                let (rs, _) = self.expr(r)?;
                Ok((format!("({ls} {} {rs})", op.text()), Ty::Bool))
            }
            Expr::Binary(..) => Err(QueryError::new(
                "Arithmetic is only supported as `now() - INTERVAL n UNIT`".into(),
            )),
            Expr::Not(inner) => {
                let (s, _) = self.expr(inner)?;
                Ok((format!("(NOT {s})"), Ty::Bool))
            }
            Expr::In {
                expr,
                list,
                negated,
            } => {
                let (s, ty) = self.expr(expr)?;
                let mut items = Vec::new();
                for item in list {
                    let expanded = match item {
                        Expr::Placeholder(name) => match self.placeholder(name)? {
                            Value::Array(values) => Some((name, values.clone())),
                            _ => None,
                        },
                        _ => None,
                    };
                    if let Some((name, values)) = expanded {
                        for v in &values {
                            let (sql, _) = scalar(name, v)?;
                            let sql = retype(sql, ty);
                            items.push(self.bind(sql));
                        }
                        continue;
                    }
                    items.push(self.operand(item, ty)?.0);
                }
                let not = if *negated { "NOT " } else { "" };
                Ok((format!("({s} {not}IN ({}))", items.join(", ")), Ty::Bool))
            }
            Expr::Like {
                expr,
                pattern,
                negated,
                insensitive,
            } => {
                let (s, _) = self.expr(expr)?;
                let (p, _) = self.expr(pattern)?;
                let not = if *negated { "NOT " } else { "" };
                Ok(if *insensitive {
                    (format!("(lower({s}) {not}LIKE lower({p}))"), Ty::Bool)
                } else {
                    (format!("({s} {not}LIKE {p})"), Ty::Bool)
                })
            }
            Expr::IsNull { expr, negated } => {
                let (s, _) = self.expr(expr)?;
                let not = if *negated { "NOT " } else { "" };
                Ok((format!("({s} IS {not}NULL)"), Ty::Bool))
            }
        }
    }

    /// The right side of a comparison: a string constant facing a time becomes a time in
    /// the stored format, so text order is time order.
    fn operand(&mut self, expr: &Expr, facing: Ty) -> Result<(String, Ty), QueryError> {
        if facing == Ty::DateTime {
            let text = match expr {
                Expr::Str(s) => Some(s.clone()),
                Expr::Placeholder(name) => self.placeholder(name)?.as_str().map(str::to_owned),
                _ => None,
            };
            if let Some(text) = text {
                let time = time::normalize(&text).ok_or_else(|| {
                    QueryError::new(format!("Cannot parse {text:?} as a DateTime"))
                })?;
                return Ok((self.bind(Sql::Text(time)), Ty::DateTime));
            }
        }
        self.expr(expr)
    }

    fn field(&mut self, chain: &[String]) -> Result<(String, Ty), QueryError> {
        let chain = match chain {
            [table, rest @ ..] if table == self.table && !rest.is_empty() => rest,
            _ => chain,
        };
        let Some((head, path)) = chain.split_first() else {
            return Err(QueryError::new("Empty field".into()));
        };
        if let Some((name, ty)) = self.columns.iter().find(|(c, _)| c == head) {
            if path.is_empty() {
                return Ok((quote(name), *ty));
            }
            if *name != "properties" {
                return Err(QueryError::new(format!(
                    "Field `{head}` has no members (only `properties.<name>` does)"
                )));
            }
            let mut json_path = String::from("$");
            for key in path {
                if key.contains('"') || key.contains('\\') {
                    return Err(QueryError::new(format!(
                        "Unsupported property name {key:?}"
                    )));
                }
                json_path.push_str(&format!(".\"{key}\""));
            }
            let p = self.bind(Sql::Text(json_path));
            // Each value keeps its JSON type, as after PostHog's automatic property
            // definitions (numbers Numeric, text String): a property sent as text ("5")
            // compared with a number matches nothing.
            return Ok((format!("json_extract(\"properties\", {p})"), Ty::String));
        }
        if let Some((alias, ty)) = self
            .aliases
            .iter()
            .find(|(a, _)| path.is_empty() && a == head)
        {
            return Ok((quote(alias), *ty));
        }
        Err(QueryError::new(format!(
            "Unable to resolve field: {}",
            chain.join(".")
        )))
    }

    fn call(
        &mut self,
        name: &str,
        args: &[Expr],
        star: bool,
        distinct: bool,
    ) -> Result<(String, Ty), QueryError> {
        let lower = name.to_ascii_lowercase();
        let one = |what: &str| -> Result<&Expr, QueryError> {
            match args {
                [arg] => Ok(arg),
                _ => Err(QueryError::new(format!(
                    "{what} takes exactly one argument"
                ))),
            }
        };
        if distinct && lower != "count" {
            return Err(QueryError::new(format!(
                "DISTINCT is not supported in {name}"
            )));
        }
        match lower.as_str() {
            "count" if star || args.is_empty() => Ok(("count(*)".to_owned(), Ty::UInt64)),
            "count" => {
                let (s, _) = self.expr(one(name)?)?;
                let d = if distinct { "DISTINCT " } else { "" };
                Ok((format!("count({d}{s})"), Ty::UInt64))
            }
            "min" | "max" => {
                let (s, ty) = self.expr(one(name)?)?;
                Ok((format!("{lower}({s})"), ty))
            }
            "sum" => {
                let (s, ty) = self.expr(one(name)?)?;
                let ty = if ty == Ty::Float64 || ty == Ty::String {
                    Ty::Float64
                } else {
                    Ty::Int64
                };
                Ok((format!("sum({s})"), ty))
            }
            "avg" => {
                let (s, _) = self.expr(one(name)?)?;
                Ok((format!("avg({s})"), Ty::Float64))
            }
            "tostring" => {
                let (s, _) = self.expr(one(name)?)?;
                Ok((format!("CAST({s} AS TEXT)"), Ty::String))
            }
            "todatetime" => {
                let (s, _) = self.expr(one(name)?)?;
                Ok((s, Ty::DateTime))
            }
            _ if star => Err(QueryError::new(format!("{name}(*) is not supported"))),
            _ => Err(QueryError::new(format!(
                "Unsupported function {name}: the test server knows count, min, max, sum, avg, \
                 toString, toDateTime and now"
            ))),
        }
    }

    /// `now()`, `toDateTime('…')` / `toDateTime({p})` and those ± `INTERVAL n UNIT`,
    /// folded to a time; `None` for anything else.
    fn constant_time(&self, expr: &Expr) -> Result<Option<DateTime<Utc>>, QueryError> {
        match expr {
            Expr::Call { name, args, .. } if name.eq_ignore_ascii_case("now") => {
                if !args.is_empty() {
                    return Err(QueryError::new("now() takes no arguments".into()));
                }
                Ok(Some(self.now))
            }
            Expr::Call { name, args, .. } if name.eq_ignore_ascii_case("toDateTime") => {
                let text = match args.as_slice() {
                    [Expr::Str(s)] => s.clone(),
                    [Expr::Placeholder(p)] => match self.placeholder(p)? {
                        Value::String(s) => s.clone(),
                        other => {
                            return Err(QueryError::new(format!(
                                "Cannot parse {other} as a DateTime"
                            )));
                        }
                    },
                    _ => return Ok(None),
                };
                let parsed = match chrono::DateTime::parse_from_rfc3339(text.trim()) {
                    Ok(t) => Some(t.with_timezone(&Utc)),
                    // No offset: a wall-clock time in the project's time zone, as in HogQL.
                    Err(_) => time::parse(&text).and_then(|t| {
                        use chrono::TimeZone;
                        self.tz
                            .from_local_datetime(&t.naive_utc())
                            .earliest()
                            .map(|local| local.with_timezone(&Utc))
                    }),
                };
                parsed
                    .map(Some)
                    .ok_or_else(|| QueryError::new(format!("Cannot parse {text:?} as a DateTime")))
            }
            Expr::Binary(op @ (BinOp::Add | BinOp::Sub), l, r) => {
                let Expr::Interval(n, unit) = r.as_ref() else {
                    return Ok(None);
                };
                let Some(base) = self.constant_time(l)? else {
                    return Ok(None);
                };
                let amount = match unit {
                    Unit::Second => Duration::try_seconds(*n),
                    Unit::Minute => Duration::try_minutes(*n),
                    Unit::Hour => Duration::try_hours(*n),
                    Unit::Day => Duration::try_days(*n),
                    Unit::Week => Duration::try_weeks(*n),
                }
                .ok_or_else(|| QueryError::new("INTERVAL out of range".into()))?;
                let time = if *op == BinOp::Sub {
                    base.checked_sub_signed(amount)
                } else {
                    base.checked_add_signed(amount)
                };
                time.map(Some)
                    .ok_or_else(|| QueryError::new("INTERVAL out of range".into()))
            }
            _ => Ok(None),
        }
    }
}

/// A string literal or a placeholder.
fn is_constant(expr: &Expr) -> bool {
    matches!(expr, Expr::Str(_) | Expr::Placeholder(_))
}

/// A placeholder value as one SQLite value.
fn scalar(name: &str, value: &Value) -> Result<(Sql, Ty), QueryError> {
    Ok(match value {
        Value::Null => (Sql::Null, Ty::Nothing),
        Value::Bool(b) => (Sql::Integer(i64::from(*b)), Ty::Bool),
        Value::Number(n) => match n.as_i64() {
            Some(i) => (Sql::Integer(i), Ty::Int64),
            None => (Sql::Real(n.as_f64().unwrap_or(f64::NAN)), Ty::Float64),
        },
        Value::String(s) => (Sql::Text(s.clone()), Ty::String),
        Value::Array(_) | Value::Object(_) => {
            return Err(QueryError::new(format!(
                "Placeholder {{{name}}}: lists are only supported after IN, objects never"
            )));
        }
    })
}

/// A string compared with a time column becomes a stored-format time when it parses.
fn retype(value: Sql, facing: Ty) -> Sql {
    match (value, facing) {
        (Sql::Text(s), Ty::DateTime) => Sql::Text(time::normalize(&s).unwrap_or(s)),
        (v, _) => v,
    }
}
