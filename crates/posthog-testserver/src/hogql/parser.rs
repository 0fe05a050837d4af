//! A recursive-descent parser for the HogQL subset.

use super::QueryError;
use super::ast::{BinOp, Expr, Select, Unit};
use super::lexer::Tok;

const RESERVED: [&str; 24] = [
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "ORDER", "LIMIT", "OFFSET", "AS", "AND", "OR", "NOT",
    "IN", "LIKE", "ILIKE", "IS", "NULL", "ASC", "DESC", "INTERVAL", "JOIN", "UNION", "HAVING",
    "DISTINCT",
];

/// Parses one `SELECT` statement.
pub(crate) fn parse(tokens: &[Tok]) -> Result<Select, QueryError> {
    let mut p = Parser { tokens, pos: 0 };
    let select = p.select()?;
    p.eat_sym(";");
    if let Some(tok) = p.peek() {
        return Err(p.unexpected(tok));
    }
    Ok(select)
}

struct Parser<'a> {
    tokens: &'a [Tok],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let tok = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        tok
    }

    fn unexpected(&self, tok: &Tok) -> QueryError {
        let what = match tok {
            Tok::Ident(s) => s.clone(),
            Tok::Str(s) => format!("'{s}'"),
            Tok::Int(n) => n.to_string(),
            Tok::Float(n) => n.to_string(),
            Tok::Placeholder(p) => format!("{{{p}}}"),
            Tok::Sym(s) => (*s).to_owned(),
        };
        QueryError::new(format!("Unsupported query: unexpected {what:?}"))
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }

    fn is_kw_at(&self, offset: usize, kw: &str) -> bool {
        matches!(self.tokens.get(self.pos + offset), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let found = self.is_kw(kw);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), QueryError> {
        if self.eat_kw(kw) {
            return Ok(());
        }
        Err(match self.peek() {
            Some(tok) => self.unexpected(tok),
            None => QueryError::new(format!("Unsupported query: expected {kw}")),
        })
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        let found = matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect_sym(&mut self, sym: &str) -> Result<(), QueryError> {
        if self.eat_sym(sym) {
            return Ok(());
        }
        Err(match self.peek() {
            Some(tok) => self.unexpected(tok),
            None => QueryError::new(format!("Unsupported query: expected {sym:?}")),
        })
    }

    fn ident(&mut self) -> Result<String, QueryError> {
        match self.next() {
            Some(Tok::Ident(s)) if !is_reserved(&s) => Ok(s),
            Some(tok) => Err(self.unexpected(&tok)),
            None => Err(QueryError::new(
                "Unsupported query: expected a name".to_owned(),
            )),
        }
    }

    fn integer(&mut self) -> Result<i64, QueryError> {
        match self.next() {
            Some(Tok::Int(n)) => Ok(n),
            Some(tok) => Err(self.unexpected(&tok)),
            None => Err(QueryError::new(
                "Unsupported query: expected a number".to_owned(),
            )),
        }
    }

    fn select(&mut self) -> Result<Select, QueryError> {
        self.expect_kw("SELECT")?;
        let mut columns = Vec::new();
        loop {
            let expr = self.expr()?;
            let alias = if self.eat_kw("AS") {
                Some(self.ident()?)
            } else {
                None
            };
            columns.push((expr, alias));
            if !self.eat_sym(",") {
                break;
            }
        }
        self.expect_kw("FROM")?;
        let from = self.ident()?;
        let filter = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        let mut group_by = Vec::new();
        if self.eat_kw("GROUP") {
            self.expect_kw("BY")?;
            loop {
                group_by.push(self.expr()?);
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let mut order_by = Vec::new();
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            loop {
                let expr = self.expr()?;
                let descending = if self.eat_kw("DESC") {
                    true
                } else {
                    self.eat_kw("ASC");
                    false
                };
                order_by.push((expr, descending));
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let limit = if self.eat_kw("LIMIT") {
            Some(self.integer()?)
        } else {
            None
        };
        let offset = if self.eat_kw("OFFSET") {
            Some(self.integer()?)
        } else {
            None
        };
        Ok(Select {
            columns,
            from,
            filter,
            group_by,
            order_by,
            limit,
            offset,
        })
    }

    fn expr(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.and()?;
        while self.eat_kw("OR") {
            let right = self.and()?;
            left = Expr::Binary(BinOp::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.not()?;
        while self.eat_kw("AND") {
            let right = self.not()?;
            left = Expr::Binary(BinOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, QueryError> {
        if self.eat_kw("NOT") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, QueryError> {
        let left = self.additive()?;
        let op = match self.peek() {
            Some(Tok::Sym("=" | "==")) => Some(BinOp::Eq),
            Some(Tok::Sym("!=" | "<>")) => Some(BinOp::Ne),
            Some(Tok::Sym("<")) => Some(BinOp::Lt),
            Some(Tok::Sym("<=")) => Some(BinOp::Le),
            Some(Tok::Sym(">")) => Some(BinOp::Gt),
            Some(Tok::Sym(">=")) => Some(BinOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            let right = self.additive()?;
            return Ok(Expr::Binary(op, Box::new(left), Box::new(right)));
        }
        if self.eat_kw("IS") {
            let negated = self.eat_kw("NOT");
            self.expect_kw("NULL")?;
            return Ok(Expr::IsNull {
                expr: Box::new(left),
                negated,
            });
        }
        let negated = self.is_kw("NOT")
            && (self.is_kw_at(1, "IN") || self.is_kw_at(1, "LIKE") || self.is_kw_at(1, "ILIKE"));
        if negated {
            self.pos += 1;
        }
        if self.eat_kw("IN") {
            let list = if let Some(Tok::Placeholder(p)) = self.peek().cloned() {
                self.pos += 1;
                vec![Expr::Placeholder(p)]
            } else {
                self.expect_sym("(")?;
                let mut list = Vec::new();
                if !self.eat_sym(")") {
                    loop {
                        list.push(self.additive()?);
                        if !self.eat_sym(",") {
                            break;
                        }
                    }
                    self.expect_sym(")")?;
                }
                list
            };
            return Ok(Expr::In {
                expr: Box::new(left),
                list,
                negated,
            });
        }
        let insensitive = self.is_kw("ILIKE");
        if self.eat_kw("LIKE") || self.eat_kw("ILIKE") {
            let pattern = self.additive()?;
            return Ok(Expr::Like {
                expr: Box::new(left),
                pattern: Box::new(pattern),
                negated,
                insensitive,
            });
        }
        if negated {
            return Err(QueryError::new(
                "Unsupported query: expected IN or LIKE after NOT".to_owned(),
            ));
        }
        Ok(left)
    }

    fn additive(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.primary()?;
        loop {
            let op = if self.eat_sym("-") {
                BinOp::Sub
            } else if self.eat_sym("+") {
                BinOp::Add
            } else {
                return Ok(left);
            };
            let right = self.primary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        let Some(tok) = self.next() else {
            return Err(QueryError::new(
                "Unsupported query: unexpected end".to_owned(),
            ));
        };
        match tok {
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Int(n) => Ok(Expr::Int(n)),
            Tok::Float(n) => Ok(Expr::Float(n)),
            Tok::Placeholder(p) => Ok(Expr::Placeholder(p)),
            Tok::Sym("-") => match self.next() {
                Some(Tok::Int(n)) => Ok(Expr::Int(-n)),
                Some(Tok::Float(n)) => Ok(Expr::Float(-n)),
                Some(tok) => Err(self.unexpected(&tok)),
                None => Err(QueryError::new("Unsupported query: unexpected end".into())),
            },
            Tok::Sym("(") => {
                let inner = self.expr()?;
                self.expect_sym(")")?;
                Ok(inner)
            }
            Tok::Ident(s) if s.eq_ignore_ascii_case("NULL") => Ok(Expr::Null),
            Tok::Ident(s) if s.eq_ignore_ascii_case("INTERVAL") => {
                let n = self.integer()?;
                let unit = self.ident_any()?;
                let unit = match unit.to_ascii_uppercase().trim_end_matches('S') {
                    "SECOND" => Unit::Second,
                    "MINUTE" => Unit::Minute,
                    "HOUR" => Unit::Hour,
                    "DAY" => Unit::Day,
                    "WEEK" => Unit::Week,
                    _ => {
                        return Err(QueryError::new(format!(
                            "Unsupported query: unknown INTERVAL unit {unit}"
                        )));
                    }
                };
                Ok(Expr::Interval(n, unit))
            }
            Tok::Ident(s) if !is_reserved(&s) => {
                if self.eat_sym("(") {
                    return self.call(s);
                }
                let mut chain = vec![s];
                loop {
                    if self.eat_sym(".") {
                        chain.push(self.ident_any()?);
                    } else if self.eat_sym("[") {
                        match self.next() {
                            Some(Tok::Str(key)) => chain.push(key),
                            Some(tok) => return Err(self.unexpected(&tok)),
                            None => {
                                return Err(QueryError::new(
                                    "Unsupported query: unexpected end".into(),
                                ));
                            }
                        }
                        self.expect_sym("]")?;
                    } else {
                        return Ok(Expr::Field(chain));
                    }
                }
            }
            other => Err(self.unexpected(&other)),
        }
    }

    /// A name after `.`: keywords allowed (`properties.order`).
    fn ident_any(&mut self) -> Result<String, QueryError> {
        match self.next() {
            Some(Tok::Ident(s)) => Ok(s),
            Some(tok) => Err(self.unexpected(&tok)),
            None => Err(QueryError::new("Unsupported query: unexpected end".into())),
        }
    }

    fn call(&mut self, name: String) -> Result<Expr, QueryError> {
        let distinct = self.eat_kw("DISTINCT");
        if self.eat_sym("*") {
            self.expect_sym(")")?;
            return Ok(Expr::Call {
                name,
                args: Vec::new(),
                star: true,
                distinct,
            });
        }
        let mut args = Vec::new();
        if !self.eat_sym(")") {
            loop {
                args.push(self.expr()?);
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.expect_sym(")")?;
        }
        Ok(Expr::Call {
            name,
            args,
            star: false,
            distinct,
        })
    }
}

fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn parse_text(text: &str) -> Result<Select, QueryError> {
        parse(&lex(text)?)
    }

    #[test]
    fn parses_the_subset() {
        let s = parse_text(
            "SELECT event, count() AS n FROM events WHERE timestamp > now() - INTERVAL 7 DAY \
             AND properties['$browser'] NOT IN ('a', 'b') GROUP BY event ORDER BY n DESC \
             LIMIT 10 OFFSET 5;",
        )
        .unwrap();
        assert_eq!(s.columns.len(), 2);
        assert_eq!(s.columns[1].1.as_deref(), Some("n"));
        assert_eq!(s.from, "events");
        assert_eq!(s.limit, Some(10));
        assert_eq!(s.offset, Some(5));
        assert!(s.order_by[0].1);
        assert_eq!(s.columns[1].0.to_string(), "count()");
    }

    #[test]
    fn refuses_what_is_not_in_it() {
        for bad in [
            "SELECT event FROM events JOIN persons",
            "SELECT event FROM events UNION SELECT 1 FROM events",
            "SELECT event FROM events LIMIT 'x'",
            "DELETE FROM events",
            "SELECT event FROM (SELECT event FROM events)",
            "SELECT event FROM events; DROP TABLE events",
        ] {
            assert!(parse_text(bad).is_err(), "{bad}");
        }
    }
}
