//! Meilisearch's filter expressions: `attribute = value`, `!=`, `>`, `>=`,
//! `<`, `<=`, `a TO b`, `IN [..]`, `EXISTS`, `IS NULL`, `IS EMPTY`, joined by
//! `AND`, `OR`, `NOT` and parentheses; or the array form (outer AND, inner
//! OR). Strings compare case-insensitively, numbers by value.

use serde_json::Value;

use super::words;

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Compare {
        attribute: String,
        op: Op,
        value: String,
    },
    Range {
        attribute: String,
        from: String,
        to: String,
    },
    In {
        attribute: String,
        values: Vec<String>,
    },
    Exists(String),
    IsNull(String),
    IsEmpty(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Filter {
    /// Parses the `filter` search parameter (a string, or arrays of them).
    pub fn from_param(param: &Value) -> Result<Option<Filter>, String> {
        match param {
            Value::Null => Ok(None),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => parse(s).map(Some),
            Value::Array(items) => {
                let mut all = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => all.push(parse(s)?),
                        Value::Array(any) => {
                            let mut alternatives = Vec::new();
                            for one in any {
                                let Value::String(s) = one else {
                                    return Err(format!(
                                        "Invalid value type at `.filter`: expected a string, but found `{one}`."
                                    ));
                                };
                                alternatives.push(parse(s)?);
                            }
                            all.push(Filter::Or(alternatives));
                        }
                        other => {
                            return Err(format!(
                                "Invalid value type at `.filter`: expected a string or an array, but found `{other}`."
                            ));
                        }
                    }
                }
                Ok(Some(Filter::And(all)))
            }
            other => Err(format!(
                "Invalid value type at `.filter`: expected a string or an array, but found `{other}`."
            )),
        }
    }

    /// Every attribute the filter reads.
    pub fn attributes(&self) -> Vec<&str> {
        match self {
            Filter::And(all) | Filter::Or(all) => all.iter().flat_map(Filter::attributes).collect(),
            Filter::Not(inner) => inner.attributes(),
            Filter::Compare { attribute, .. }
            | Filter::Range { attribute, .. }
            | Filter::In { attribute, .. }
            | Filter::Exists(attribute)
            | Filter::IsNull(attribute)
            | Filter::IsEmpty(attribute) => vec![attribute.as_str()],
        }
    }

    pub fn matches(&self, document: &Value) -> bool {
        match self {
            Filter::And(all) => all.iter().all(|f| f.matches(document)),
            Filter::Or(any) => any.iter().any(|f| f.matches(document)),
            Filter::Not(inner) => !inner.matches(document),
            Filter::Compare {
                attribute,
                op,
                value,
            } => {
                let found = values_at(document, attribute);
                match op {
                    Op::Ne => !found.iter().any(|v| equal(v, value)),
                    Op::Eq => found.iter().any(|v| equal(v, value)),
                    _ => found.iter().any(|v| compare(v, *op, value)),
                }
            }
            Filter::Range {
                attribute,
                from,
                to,
            } => values_at(document, attribute)
                .iter()
                .any(|v| compare(v, Op::Ge, from) && compare(v, Op::Le, to)),
            Filter::In { attribute, values } => values_at(document, attribute)
                .iter()
                .any(|v| values.iter().any(|wanted| equal(v, wanted))),
            Filter::Exists(attribute) => lookup(document, attribute).is_some(),
            Filter::IsNull(attribute) => matches!(lookup(document, attribute), Some(Value::Null)),
            Filter::IsEmpty(attribute) => match lookup(document, attribute) {
                Some(Value::String(s)) => s.is_empty(),
                Some(Value::Array(a)) => a.is_empty(),
                Some(Value::Object(o)) => o.is_empty(),
                _ => false,
            },
        }
    }
}

/// The value at a dotted path (`prices.eur`).
pub fn lookup<'a>(document: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = document.get(path) {
        return Some(v);
    }
    let (head, rest) = path.split_once('.')?;
    lookup(document.get(head)?, rest)
}

/// The scalar values at a path, an array's elements one by one.
pub fn values_at<'a>(document: &'a Value, path: &str) -> Vec<&'a Value> {
    match lookup(document, path) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(v) => vec![v],
    }
}

fn equal(found: &Value, wanted: &str) -> bool {
    match found {
        Value::Number(n) => wanted.parse::<f64>().is_ok_and(|w| n.as_f64() == Some(w)),
        Value::String(s) => words::fold(s.trim()) == words::fold(wanted.trim()),
        Value::Bool(b) => wanted.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        _ => false,
    }
}

fn compare(found: &Value, op: Op, wanted: &str) -> bool {
    let (Some(found), Ok(wanted)) = (number(found), wanted.parse::<f64>()) else {
        return false;
    };
    match op {
        Op::Gt => found > wanted,
        Op::Ge => found >= wanted,
        Op::Lt => found < wanted,
        Op::Le => found <= wanted,
        Op::Eq => found == wanted,
        Op::Ne => found != wanted,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenList,
    CloseList,
    Comma,
    Op(Op),
    /// A bare word (may be a keyword) or a quoted string (never one).
    Word {
        text: String,
        quoted: bool,
    },
}

fn tokens(input: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '[' => {
                out.push(Token::OpenList);
                i += 1;
            }
            ']' => {
                out.push(Token::CloseList);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '=' => {
                out.push(Token::Op(Op::Eq));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                out.push(Token::Op(Op::Ne));
                i += 2;
            }
            '>' | '<' => {
                let or_equal = chars.get(i + 1) == Some(&'=');
                out.push(Token::Op(match (c, or_equal) {
                    ('>', true) => Op::Ge,
                    ('>', false) => Op::Gt,
                    (_, true) => Op::Le,
                    _ => Op::Lt,
                }));
                i += 1 + usize::from(or_equal);
            }
            '"' | '\'' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(format!(
                                "Expression `{input}` is missing a closing quote."
                            ));
                        }
                        Some('\\') if chars.get(i + 1) == Some(&c) => {
                            text.push(c);
                            i += 2;
                        }
                        Some(q) if *q == c => {
                            i += 1;
                            break;
                        }
                        Some(other) => {
                            text.push(*other);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Word { text, quoted: true });
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !"()[],=!<>\"'".contains(chars[i])
                {
                    i += 1;
                }
                if start == i {
                    return Err(format!(
                        "Was expecting a value but instead got `{c}` in `{input}`."
                    ));
                }
                out.push(Token::Word {
                    text: chars[start..i].iter().collect(),
                    quoted: false,
                });
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    at: usize,
}

fn parse(input: &str) -> Result<Filter, String> {
    let mut parser = Parser {
        input,
        tokens: tokens(input)?,
        at: 0,
    };
    let filter = parser.or()?;
    if parser.at < parser.tokens.len() {
        return Err(format!(
            "Found unexpected characters at the end of the filter: `{}`. You probably forgot an `OR` or an `AND` rule.",
            input
        ));
    }
    Ok(filter)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word { text, quoted: false }) if text.eq_ignore_ascii_case(word))
    }

    fn keyword_at(&self, offset: usize, word: &str) -> bool {
        matches!(self.tokens.get(self.at + offset), Some(Token::Word { text, quoted: false }) if text.eq_ignore_ascii_case(word))
    }

    fn expected(&self, what: &str) -> String {
        format!(
            "Was expecting {what} in `{}`; an operation is `attribute = value`, `attribute IN [a, b]`, `attribute EXISTS` or `attribute a TO b`.",
            self.input
        )
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut any = vec![self.and()?];
        while self.keyword("OR") {
            self.at += 1;
            any.push(self.and()?);
        }
        Ok(if any.len() == 1 {
            any.remove(0)
        } else {
            Filter::Or(any)
        })
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut all = vec![self.not()?];
        while self.keyword("AND") {
            self.at += 1;
            all.push(self.not()?);
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Filter::And(all)
        })
    }

    fn not(&mut self) -> Result<Filter, String> {
        if self.keyword("NOT") {
            self.at += 1;
            return Ok(Filter::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn value(&mut self) -> Result<String, String> {
        match self.tokens.get(self.at).cloned() {
            Some(Token::Word { text, .. }) => {
                self.at += 1;
                Ok(text)
            }
            _ => Err(self.expected("a value")),
        }
    }

    fn primary(&mut self) -> Result<Filter, String> {
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or()?;
            if self.peek() != Some(&Token::Close) {
                return Err(format!(
                    "Expression `{}` is missing the following closing delimiter: `)`.",
                    self.input
                ));
            }
            self.at += 1;
            return Ok(inner);
        }
        let attribute = self.value()?;
        if let Some(Token::Op(op)) = self.peek().cloned() {
            self.at += 1;
            let value = self.value()?;
            return Ok(Filter::Compare {
                attribute,
                op,
                value,
            });
        }
        if self.keyword("EXISTS") {
            self.at += 1;
            return Ok(Filter::Exists(attribute));
        }
        if self.keyword("NOT") && self.keyword_at(1, "EXISTS") {
            self.at += 2;
            return Ok(Filter::Not(Box::new(Filter::Exists(attribute))));
        }
        if self.keyword("IS") {
            let negated = self.keyword_at(1, "NOT");
            let at = 1 + usize::from(negated);
            let test = if self.keyword_at(at, "NULL") {
                Filter::IsNull(attribute)
            } else if self.keyword_at(at, "EMPTY") {
                Filter::IsEmpty(attribute)
            } else {
                return Err(self.expected("`NULL` or `EMPTY` after `IS`"));
            };
            self.at += at + 1;
            return Ok(if negated {
                Filter::Not(Box::new(test))
            } else {
                test
            });
        }
        let negated_in = self.keyword("NOT") && self.keyword_at(1, "IN");
        if self.keyword("IN") || negated_in {
            self.at += 1 + usize::from(negated_in);
            if self.peek() != Some(&Token::OpenList) {
                return Err(self.expected("`[` after `IN`"));
            }
            self.at += 1;
            let mut values = Vec::new();
            while self.peek() != Some(&Token::CloseList) {
                values.push(self.value()?);
                match self.peek() {
                    Some(Token::Comma) => self.at += 1,
                    Some(Token::CloseList) => {}
                    _ => {
                        return Err(format!(
                            "Expected matching `]` after the list in `{}`.",
                            self.input
                        ));
                    }
                }
            }
            self.at += 1;
            let test = Filter::In { attribute, values };
            return Ok(if negated_in {
                Filter::Not(Box::new(test))
            } else {
                test
            });
        }
        // `attribute from TO to`
        if let Some(Token::Word { .. }) = self.peek()
            && self.keyword_at(1, "TO")
        {
            let from = self.value()?;
            self.at += 1;
            let to = self.value()?;
            return Ok(Filter::Range {
                attribute,
                from,
                to,
            });
        }
        Err(self.expected("an operation"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(filter: &str, document: &Value) -> bool {
        Filter::from_param(&json!(filter))
            .unwrap()
            .unwrap()
            .matches(document)
    }

    #[test]
    fn filters_read_values_arrays_numbers_and_logic() {
        let doc = json!({
            "status": "published",
            "categories": ["Drinks", "Cold"],
            "prices": { "eur": 250 },
            "machine_ids": ["vm-1"],
            "note": null
        });
        assert!(check("status = published", &doc));
        assert!(check("status = 'Published'", &doc), "case-insensitive");
        assert!(!check("status != published", &doc));
        assert!(check("categories = drinks AND prices.eur < 300", &doc));
        assert!(check("prices.eur 200 TO 250", &doc));
        assert!(!check("prices.eur > 250", &doc));
        assert!(check("machine_ids IN [vm-2, 'vm-1']", &doc));
        assert!(check("NOT machine_ids IN [vm-2]", &doc));
        assert!(check(
            "(status = draft OR categories = cold) AND note IS NULL",
            &doc
        ));
        assert!(check("prices.eur EXISTS AND prices.usd NOT EXISTS", &doc));
        assert_eq!(
            Filter::from_param(&json!("status = published AND prices.eur > 1"))
                .unwrap()
                .unwrap()
                .attributes(),
            ["status", "prices.eur"]
        );
        let array = Filter::from_param(&json!([
            ["status = draft", "status = published"],
            "categories = cold"
        ]))
        .unwrap()
        .unwrap();
        assert!(array.matches(&doc));
    }

    #[test]
    fn malformed_filters_are_refused_with_a_reason() {
        for bad in [
            "status =",
            "status published",
            "(status = a",
            "x IN [a",
            "'open",
        ] {
            assert!(Filter::from_param(&json!(bad)).is_err(), "{bad}");
        }
        assert!(Filter::from_param(&json!(42)).is_err());
    }
}
