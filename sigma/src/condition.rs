//! Sigma conditions: `and`, `or`, `not`, parentheses, `1 of X*`,
//! `all of X*`, `1 of them`, `all of them`, parsed once into a tree of
//! search-identifier indexes.
//!
//! Precedence, least to most binding, as the specification lists it: `or`,
//! `and`, `not`, `x of`, parentheses. Keywords are case-insensitive.

use std::collections::BTreeSet;

use super::error::RuleErrorKind;

/// Parentheses nested deeper than this are refused (the parser recurses).
const MAX_DEPTH: usize = 64;

/// A parsed condition over search identifiers (by index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cond {
    Sel(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

impl Cond {
    /// Evaluates with `sel(i)` giving search identifier `i`'s result,
    /// short-circuiting.
    pub(crate) fn eval(&self, sel: &dyn Fn(usize) -> bool) -> bool {
        match self {
            Cond::Sel(i) => sel(*i),
            Cond::Not(c) => !c.eval(sel),
            Cond::And(cs) => cs.iter().all(|c| c.eval(sel)),
            Cond::Or(cs) => cs.iter().any(|c| c.eval(sel)),
        }
    }

    /// The set of values a record's key must take for the condition to
    /// hold, given each identifier's own bound (`None`: unbounded). A
    /// negation bounds nothing.
    pub(crate) fn required(
        &self,
        sel: &dyn Fn(usize) -> Option<BTreeSet<String>>,
    ) -> Option<BTreeSet<String>> {
        match self {
            Cond::Sel(i) => sel(*i),
            Cond::Not(_) => None,
            Cond::And(cs) => {
                let mut acc: Option<BTreeSet<String>> = None;
                for s in cs.iter().filter_map(|c| c.required(sel)) {
                    acc = Some(match acc {
                        None => s,
                        Some(a) => a.intersection(&s).cloned().collect(),
                    });
                }
                acc
            }
            Cond::Or(cs) => {
                let mut acc = BTreeSet::new();
                for c in cs {
                    acc.extend(c.required(sel)?);
                }
                Some(acc)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Of,
    Them,
    /// A word: an identifier, a pattern, `1` or `all`.
    Word(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Token>| {
        if word.is_empty() {
            return;
        }
        let w = std::mem::take(word);
        out.push(match w.to_ascii_lowercase().as_str() {
            "and" => Token::And,
            "or" => Token::Or,
            "not" => Token::Not,
            "of" => Token::Of,
            "them" => Token::Them,
            _ => Token::Word(w),
        });
    };
    for c in text.chars() {
        match c {
            '(' | ')' => {
                flush(&mut word, &mut out);
                out.push(if c == '(' {
                    Token::LParen
                } else {
                    Token::RParen
                });
            }
            '|' => {
                return Err(
                    "aggregations (`| count() ...`) are not supported; use a correlation engine"
                        .to_string(),
                )
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Token>,
    pos: usize,
    names: &'a [String],
}

/// Parses `text` against the rule's search identifiers (`names`, in
/// document order).
pub(crate) fn parse(text: &str, names: &[String]) -> Result<Cond, RuleErrorKind> {
    let err = |reason: String| RuleErrorKind::Condition {
        condition: text.to_string(),
        reason,
    };
    let toks = tokenize(text).map_err(err)?;
    if toks.is_empty() {
        return Err(err("empty condition".to_string()));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        names,
    };
    let cond = p.or(0).map_err(err)?;
    if let Some(t) = p.toks.get(p.pos) {
        return Err(err(format!(
            "unexpected {} after a complete expression",
            describe(t)
        )));
    }
    Ok(cond)
}

fn describe(t: &Token) -> String {
    match t {
        Token::LParen => "`(`".into(),
        Token::RParen => "`)`".into(),
        Token::And => "`and`".into(),
        Token::Or => "`or`".into(),
        Token::Not => "`not`".into(),
        Token::Of => "`of`".into(),
        Token::Them => "`them`".into(),
        Token::Word(w) => format!("`{w}`"),
    }
}

/// Glob over identifier names: `*` is any run of characters.
fn name_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (Some(&first), Some(&last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if parts.len() == 1 {
        return pattern == name;
    }
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in parts.iter().skip(1).take(parts.len() - 2) {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self, depth: usize) -> Result<Cond, String> {
        let mut items = vec![self.and(depth)?];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            items.push(self.and(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Cond, String> {
        let mut items = vec![self.not(depth)?];
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            items.push(self.not(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not(&mut self, depth: usize) -> Result<Cond, String> {
        if self.peek() == Some(&Token::Not) {
            self.pos += 1;
            if depth > MAX_DEPTH {
                return Err(format!("nested deeper than {MAX_DEPTH} levels"));
            }
            return Ok(Cond::Not(Box::new(self.not(depth + 1)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Cond, String> {
        match self.next() {
            None => Err("ends where an identifier or `(` was expected".to_string()),
            Some(Token::LParen) => {
                if depth > MAX_DEPTH {
                    return Err(format!("nested deeper than {MAX_DEPTH} levels"));
                }
                let inner = self.or(depth + 1)?;
                match self.next() {
                    Some(Token::RParen) => Ok(inner),
                    Some(t) => Err(format!("expected `)`, found {}", describe(&t))),
                    None => Err("missing `)`".to_string()),
                }
            }
            Some(Token::Word(w)) if self.peek() == Some(&Token::Of) => {
                self.pos += 1;
                let all = match w.to_ascii_lowercase().as_str() {
                    "1" => false,
                    "all" => true,
                    _ => {
                        return Err(format!(
                            "`{w} of` is not Sigma: only `1 of` and `all of` exist"
                        ))
                    }
                };
                let targets: Vec<usize> = match self.next() {
                    Some(Token::Them) => self
                        .names
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| !n.starts_with('_'))
                        .map(|(i, _)| i)
                        .collect(),
                    Some(Token::Word(pattern)) => self
                        .names
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| name_matches(&pattern, n))
                        .map(|(i, _)| i)
                        .collect(),
                    Some(t) => {
                        return Err(format!(
                            "expected `them` or an identifier pattern after `of`, found {}",
                            describe(&t)
                        ))
                    }
                    None => return Err("ends after `of`".to_string()),
                };
                if targets.is_empty() {
                    let what = self
                        .toks
                        .get(self.pos - 1)
                        .map(describe)
                        .unwrap_or_default();
                    return Err(format!("{what} matches no search identifier"));
                }
                let sels: Vec<Cond> = targets.into_iter().map(Cond::Sel).collect();
                Ok(if all { Cond::And(sels) } else { Cond::Or(sels) })
            }
            Some(Token::Word(w)) => match self.names.iter().position(|n| *n == w) {
                Some(i) => Ok(Cond::Sel(i)),
                None => Err(format!("`{w}` is not a search identifier of this rule")),
            },
            Some(t) => Err(format!("unexpected {}", describe(&t))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    fn eval(cond: &str, ids: &[&str], truth: &[bool]) -> bool {
        let c = parse(cond, &names(ids)).unwrap();
        c.eval(&|i| truth[i])
    }

    fn reason(cond: &str, ids: &[&str]) -> String {
        match parse(cond, &names(ids)) {
            Err(RuleErrorKind::Condition { reason, .. }) => reason,
            other => panic!("expected a condition error, got {other:?}"),
        }
    }

    #[test]
    fn precedence_not_and_or() {
        let ids = ["a", "b", "c"];
        // a or b and c == a or (b and c)
        let c = parse("a or b and c", &names(&ids)).unwrap();
        assert_eq!(
            c,
            Cond::Or(vec![
                Cond::Sel(0),
                Cond::And(vec![Cond::Sel(1), Cond::Sel(2)])
            ])
        );
        assert!(eval("a or b and c", &ids, &[true, false, false]));
        assert!(!eval("(a or b) and c", &ids, &[true, false, false]));
        // not a and b == (not a) and b
        assert_eq!(
            parse("not a and b", &names(&ids)).unwrap(),
            Cond::And(vec![Cond::Not(Box::new(Cond::Sel(0))), Cond::Sel(1)])
        );
        assert!(!eval("not a and b", &ids, &[false, false, true]));
        assert!(eval("not (a and b)", &ids, &[true, false, true]));
        assert!(eval("not not a", &ids, &[true, false, false]));
        assert!(eval("a AND NOT b Or c", &ids, &[true, false, false]));
        assert!(eval("((a))", &ids, &[true, false, false]));
        assert!(eval("a and(b or c)", &ids, &[true, false, true]));
    }

    #[test]
    fn one_of_and_all_of() {
        let ids = ["selection_a", "selection_b", "filter_x", "_hidden"];
        let c = parse("1 of selection_*", &names(&ids)).unwrap();
        assert_eq!(c, Cond::Or(vec![Cond::Sel(0), Cond::Sel(1)]));
        let c = parse("all of selection_*", &names(&ids)).unwrap();
        assert_eq!(c, Cond::And(vec![Cond::Sel(0), Cond::Sel(1)]));
        // `them` leaves out identifiers starting with `_`.
        let c = parse("1 of them", &names(&ids)).unwrap();
        assert_eq!(c, Cond::Or(vec![Cond::Sel(0), Cond::Sel(1), Cond::Sel(2)]));
        let c = parse("all of them", &names(&ids)).unwrap();
        assert_eq!(c, Cond::And(vec![Cond::Sel(0), Cond::Sel(1), Cond::Sel(2)]));
        // Without a wildcard the pattern is one identifier.
        assert_eq!(
            parse("1 of filter_x", &names(&ids)).unwrap(),
            Cond::Or(vec![Cond::Sel(2)])
        );
        // Wildcards anywhere.
        assert_eq!(
            parse("1 of *_b", &names(&ids)).unwrap(),
            Cond::Or(vec![Cond::Sel(1)])
        );
        assert_eq!(
            parse("all of s*n*a", &names(&ids)).unwrap(),
            Cond::And(vec![Cond::Sel(0)])
        );
        assert_eq!(
            parse("1 of _*", &names(&ids)).unwrap(),
            Cond::Or(vec![Cond::Sel(3)])
        );
        // `x of` binds tighter than not/and/or.
        assert!(eval(
            "selection_a and not 1 of filter*",
            &ids,
            &[true, false, false, false]
        ));
        assert!(!eval(
            "selection_a and not 1 of filter*",
            &ids,
            &[true, false, true, false]
        ));
        assert!(eval(
            "ALL OF selection_*",
            &ids,
            &[true, true, false, false]
        ));
        assert!(!eval(
            "all of selection_*",
            &ids,
            &[true, false, false, false]
        ));
    }

    #[test]
    fn errors_say_why() {
        let ids = ["sel", "filter"];
        assert!(reason("sel and nope", &ids).contains("`nope` is not a search identifier"));
        assert!(reason("1 of nothing*", &ids).contains("matches no search identifier"));
        assert!(reason("2 of sel*", &ids).contains("only `1 of` and `all of`"));
        assert!(reason("sel | count() > 5", &ids).contains("aggregations"));
        assert!(reason("(sel", &ids).contains("missing `)`"));
        assert!(reason("sel)", &ids).contains("unexpected `)`"));
        assert!(reason("sel filter", &ids).contains("unexpected `filter`"));
        assert!(reason("sel and", &ids).contains("ends where"));
        assert!(reason("", &ids).contains("empty"));
        assert!(reason("1 of", &ids).contains("ends after `of`"));
        assert!(reason("1 of (sel)", &ids).contains("expected `them`"));
        assert!(reason("and sel", &ids).contains("unexpected `and`"));
        let deep = format!("{}sel{}", "(".repeat(100), ")".repeat(100));
        assert!(reason(&deep, &ids).contains("nested deeper"));
        let nots = format!("{}sel", "not ".repeat(100));
        assert!(reason(&nots, &ids).contains("nested deeper"));
        // A condition without `of` after `all` is the identifier `all`.
        assert_eq!(parse("all", &names(&["all"])).unwrap(), Cond::Sel(0));
    }

    #[test]
    fn requirements_follow_the_logic() {
        let set = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>());
        let bounds = [set(&["a", "b"]), set(&["b", "c"]), None];
        let req = |c: &str| {
            parse(c, &names(&["x", "y", "z"]))
                .unwrap()
                .required(&|i| bounds[i].clone())
        };
        assert_eq!(req("x"), set(&["a", "b"]));
        assert_eq!(req("x and y"), set(&["b"]));
        assert_eq!(req("x or y"), set(&["a", "b", "c"]));
        assert_eq!(req("x or z"), None);
        assert_eq!(req("x and z"), set(&["a", "b"]));
        assert_eq!(req("not z and y"), set(&["b", "c"]));
        assert_eq!(req("not x"), None);
        assert_eq!(req("1 of them"), None);
        assert_eq!(req("all of them"), set(&["b"]));
    }
}
