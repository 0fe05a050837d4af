//! Tokens of the HogQL subset.

use super::QueryError;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A name: `[A-Za-z_$][A-Za-z0-9_$]*` (keywords too; the parser tells them apart).
    Ident(String),
    /// A `'…'` string (`\'`, `''`, `\\`, `\n`, `\t` understood).
    Str(String),
    /// An integer literal.
    Int(i64),
    /// A decimal literal.
    Float(f64),
    /// `{name}`: a value from the request's `values`.
    Placeholder(String),
    /// Punctuation or an operator.
    Sym(&'static str),
}

const SYMBOLS: [&str; 16] = [
    "==", "!=", "<>", "<=", ">=", "(", ")", ",", ".", "*", "=", "<", ">", "[", "]", ";",
];

fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Splits a query into tokens.
pub(crate) fn lex(text: &str) -> Result<Vec<Tok>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if ident_start(c) {
            let start = i;
            while i < chars.len() && ident_char(chars[i]) {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let mut float = false;
            if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
                float = true;
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let literal: String = chars[start..i].iter().collect();
            let bad = || QueryError::new(format!("Invalid number {literal}"));
            out.push(if float {
                Tok::Float(literal.parse().map_err(|_| bad())?)
            } else {
                Tok::Int(literal.parse().map_err(|_| bad())?)
            });
        } else if c == '\'' {
            let (s, next) = string(&chars, i + 1)?;
            out.push(Tok::Str(s));
            i = next;
        } else if c == '{' {
            let start = i + 1;
            let mut j = start;
            while j < chars.len() && ident_char(chars[j]) {
                j += 1;
            }
            if j == start || chars.get(j) != Some(&'}') {
                return Err(QueryError::new("Placeholders look like {name}".to_owned()));
            }
            out.push(Tok::Placeholder(chars[start..j].iter().collect()));
            i = j + 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            return Err(QueryError::new("Comments are not supported".to_owned()));
        } else if c == '-' || c == '+' {
            out.push(Tok::Sym(if c == '-' { "-" } else { "+" }));
            i += 1;
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let Some(sym) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) else {
                return Err(QueryError::new(format!("Unexpected character {c:?}")));
            };
            out.push(Tok::Sym(sym));
            i += sym.len();
        }
    }
    Ok(out)
}

fn string(chars: &[char], mut i: usize) -> Result<(String, usize), QueryError> {
    let mut s = String::new();
    while i < chars.len() {
        match chars[i] {
            '\'' if chars.get(i + 1) == Some(&'\'') => {
                s.push('\'');
                i += 2;
            }
            '\'' => return Ok((s, i + 1)),
            '\\' => {
                let escaped = chars
                    .get(i + 1)
                    .ok_or_else(|| QueryError::new("Unterminated string".to_owned()))?;
                s.push(match escaped {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '0' => '\0',
                    other => *other,
                });
                i += 2;
            }
            other => {
                s.push(other);
                i += 1;
            }
        }
    }
    Err(QueryError::new("Unterminated string".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let toks = lex(
            "SELECT properties.$browser, count() FROM events WHERE x >= {since} AND e = 'it''s'",
        )
        .unwrap();
        assert_eq!(toks[1], Tok::Ident("properties".into()));
        assert_eq!(toks[3], Tok::Ident("$browser".into()));
        assert!(toks.contains(&Tok::Sym(">=")));
        assert!(toks.contains(&Tok::Placeholder("since".into())));
        assert_eq!(toks.last(), Some(&Tok::Str("it's".into())));
        assert_eq!(lex("1.5 2").unwrap(), vec![Tok::Float(1.5), Tok::Int(2)]);
        assert!(lex("a -- b").is_err());
        assert!(lex("'open").is_err());
        assert!(lex("a # b").is_err());
    }
}
