//! The syntax tree of the HogQL subset.

use std::fmt;

/// A `SELECT` statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Select {
    pub(crate) columns: Vec<(Expr, Option<String>)>,
    pub(crate) from: String,
    pub(crate) filter: Option<Expr>,
    pub(crate) group_by: Vec<Expr>,
    pub(crate) order_by: Vec<(Expr, bool)>,
    pub(crate) limit: Option<i64>,
    pub(crate) offset: Option<i64>,
}

/// A time unit of `INTERVAL n UNIT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Add,
    Sub,
}

impl BinOp {
    /// The operator's text (HogQL and SQLite agree on all of these).
    pub(crate) fn text(self) -> &'static str {
        match self {
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "AND",
            BinOp::Or => "OR",
            BinOp::Add => "+",
            BinOp::Sub => "-",
        }
    }

    /// Whether it compares two values.
    pub(crate) fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// A field chain: `event`, `events.event`, `properties.$browser`, `properties['a b']`.
    Field(Vec<String>),
    Str(String),
    Int(i64),
    Float(f64),
    Null,
    Placeholder(String),
    /// A function call; `star` for `count(*)`.
    Call {
        name: String,
        args: Vec<Expr>,
        star: bool,
        distinct: bool,
    },
    Interval(i64, Unit),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
        insensitive: bool,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
}

/// The HogQL text of an expression (used as a column name when there is no alias).
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Field(chain) => write!(f, "{}", chain.join(".")),
            Expr::Str(s) => write!(f, "'{}'", s.replace('\'', "\\'")),
            Expr::Int(n) => write!(f, "{n}"),
            Expr::Float(n) => write!(f, "{n}"),
            Expr::Null => write!(f, "NULL"),
            Expr::Placeholder(p) => write!(f, "{{{p}}}"),
            Expr::Call {
                name,
                args,
                star,
                distinct,
            } => {
                write!(f, "{name}(")?;
                if *distinct {
                    write!(f, "DISTINCT ")?;
                }
                if *star {
                    write!(f, "*")?;
                }
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, ")")
            }
            Expr::Interval(n, unit) => write!(f, "INTERVAL {n} {unit:?}"),
            Expr::Binary(op, l, r) => write!(f, "{l} {} {r}", op.text()),
            Expr::Not(e) => write!(f, "NOT {e}"),
            Expr::In {
                expr,
                list,
                negated,
            } => {
                let items: Vec<String> = list.iter().map(ToString::to_string).collect();
                let not = if *negated { "NOT " } else { "" };
                write!(f, "{expr} {not}IN ({})", items.join(", "))
            }
            Expr::Like {
                expr,
                pattern,
                negated,
                insensitive,
            } => {
                let not = if *negated { "NOT " } else { "" };
                let op = if *insensitive { "ILIKE" } else { "LIKE" };
                write!(f, "{expr} {not}{op} {pattern}")
            }
            Expr::IsNull { expr, negated } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "{expr} IS {not}NULL")
            }
        }
    }
}
