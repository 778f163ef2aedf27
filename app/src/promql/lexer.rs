//! A PromQL lexer for the editor: every byte of the input lands in exactly one token, so the
//! highlighter can paint the text back unchanged.
//!
//! It is deliberately forgiving (anything unknown or unterminated becomes an [`Kind::Error`] token
//! and lexing goes on) and small: promql-parser's own lexer lives in the parser worker, out of the
//! main module's reach.

use std::ops::Range;

use crate::promql::vocabulary::{AGGREGATIONS, FUNCTIONS, KEYWORDS};

/// What a token is, as far as colouring goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A metric name or any other identifier outside a label context.
    Metric,
    /// `by`, `offset`, `and`, `bool`, …
    Keyword,
    /// `sum`, `topk`, `count_values`, …
    Aggregation,
    /// A known function name followed by `(`.
    Function,
    /// A label name inside `{…}` or in a `by (…)` style list.
    LabelName,
    String,
    Number,
    Duration,
    Operator,
    /// `(`, `)`, `{`, `}`, `[`, `]`.
    Bracket,
    At,
    Comma,
    /// The subquery `:` inside `[…]`.
    Colon,
    Comment,
    Whitespace,
    /// Something the lexer does not know, or an unterminated string.
    Error,
}

/// A token: its kind and byte span in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub span: Range<usize>,
}

/// Keywords after which a `(` opens a list of label names.
const GROUPING: &[&str] = &["by", "without", "on", "ignoring", "group_left", "group_right"];

/// Two-character operators first, so `==` is not read as `=` `=`.
const OPERATORS: &[&str] = &["==", "!=", ">=", "<=", "=~", "!~", "+", "-", "*", "/", "%", "^", "=", ">", "<"];

/// Duration units, longest first so `ms` wins over `m`.
const UNITS: &[&str] = &["ms", "s", "m", "h", "d", "w", "y"];

// The names come from completion's tables, which also document them: one list to keep up to date.

/// Binary set operators, grouping and matching modifiers, `offset`, `bool`, `atan2`; matched
/// case-insensitively, like PromQL does.
pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|(k, _)| k.eq_ignore_ascii_case(word))
}

pub fn is_aggregation(word: &str) -> bool {
    AGGREGATIONS.iter().any(|(k, _, _)| k.eq_ignore_ascii_case(word))
}

/// PromQL's functions, and `start`/`end` of `@ start()` and `@ end()`.
pub fn is_function(word: &str) -> bool {
    matches!(word, "start" | "end") || FUNCTIONS.iter().any(|(f, _, _)| *f == word)
}

/// Splits `text` into tokens that cover it end to end, in order.
pub fn lex(text: &str) -> Vec<Token> {
    Lexer { text, pos: 0, braces: 0, squares: 0, label_list: false, grouping_next: false, out: Vec::new() }
        .run()
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    /// Depth of `{`: identifiers inside are label names.
    braces: usize,
    /// Depth of `[`: a `:` inside is the subquery colon.
    squares: usize,
    /// Inside the `(…)` of `by`, `on`, …: identifiers are label names.
    label_list: bool,
    /// The last significant token was a grouping keyword.
    grouping_next: bool,
    out: Vec<Token>,
}

impl Lexer<'_> {
    fn run(mut self) -> Vec<Token> {
        while let Some(c) = self.peek() {
            let start = self.pos;
            let kind = self.token(c);
            if self.pos <= start {
                // Never loop without progress: one whole char becomes an error.
                self.pos = start + c.len_utf8();
                self.push(Kind::Error, start);
            } else {
                self.push(kind, start);
            }
        }
        self.out
    }

    fn push(&mut self, kind: Kind, start: usize) {
        if !matches!(kind, Kind::Whitespace | Kind::Comment) {
            self.grouping_next = kind == Kind::Keyword
                && self
                    .text
                    .get(start..self.pos)
                    .is_some_and(|w| GROUPING.iter().any(|g| g.eq_ignore_ascii_case(w)));
        }
        self.out.push(Token { kind, span: start..self.pos });
    }

    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    /// Advances over chars while `f` holds.
    fn eat_while(&mut self, f: impl Fn(char) -> bool) {
        let n: usize = self.rest().chars().take_while(|&c| f(c)).map(char::len_utf8).sum();
        self.pos += n;
    }

    /// Lexes one token starting with `c`; returns its kind with `self.pos` past it.
    fn token(&mut self, c: char) -> Kind {
        match c {
            c if is_space(c) => {
                self.eat_while(is_space);
                Kind::Whitespace
            }
            '#' => {
                self.eat_while(|c| c != '\n');
                Kind::Comment
            }
            '"' | '\'' | '`' => self.string(c),
            '0'..='9' => self.number_or_duration(),
            '.' if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => self.number_or_duration(),
            '(' | ')' | '{' | '}' | '[' | ']' => {
                self.pos += 1;
                self.bracket(c);
                Kind::Bracket
            }
            ',' => {
                self.pos += 1;
                Kind::Comma
            }
            '@' => {
                self.pos += 1;
                Kind::At
            }
            ':' if self.squares > 0 && self.braces == 0 => {
                self.pos += 1;
                Kind::Colon
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => self.identifier(),
            _ => match OPERATORS.iter().find(|op| self.rest().starts_with(**op)) {
                Some(op) => {
                    self.pos += op.len();
                    Kind::Operator
                }
                None => {
                    self.pos += c.len_utf8();
                    Kind::Error
                }
            },
        }
    }

    fn bracket(&mut self, c: char) {
        match c {
            '(' => self.label_list = self.grouping_next,
            ')' => self.label_list = false,
            '{' => self.braces += 1,
            '}' => self.braces = self.braces.saturating_sub(1),
            '[' => self.squares += 1,
            _ => self.squares = self.squares.saturating_sub(1),
        }
    }

    /// A quoted string. Backticks are raw; the other quotes take backslash escapes and end at a
    /// newline (PromQL's rule), leaving an error token.
    fn string(&mut self, quote: char) -> Kind {
        self.pos += 1;
        let mut escaped = false;
        let text = self.text;
        for c in text.get(self.pos..).unwrap_or("").chars() {
            if c == '\n' && quote != '`' {
                return Kind::Error;
            }
            self.pos += c.len_utf8();
            if escaped {
                escaped = false;
            } else if c == '\\' && quote != '`' {
                escaped = true;
            } else if c == quote {
                return Kind::String;
            }
        }
        Kind::Error
    }

    /// A number (`1`, `1.5e3`, `0x1F`, `.5`) or a duration (`5m`, `1h30m`, `500ms`). Letters glued to
    /// a number that do not make a duration are an error, as in PromQL.
    fn number_or_duration(&mut self) -> Kind {
        let start = self.pos;
        if let Some(len) = duration_len(self.rest()) {
            self.pos += len;
            return Kind::Duration;
        }
        let rest = self.rest();
        let hex = (rest.starts_with("0x") || rest.starts_with("0X"))
            && rest.get(2..).is_some_and(|r| r.starts_with(|c: char| c.is_ascii_hexdigit()));
        if hex {
            self.pos += 2;
            self.eat_while(|c| c.is_ascii_hexdigit());
        } else {
            self.eat_while(|c| c.is_ascii_digit());
            if self.peek() == Some('.') {
                self.pos += 1;
                self.eat_while(|c| c.is_ascii_digit());
            }
            if matches!(self.peek(), Some('e' | 'E')) {
                let sign = usize::from(matches!(self.peek_at(1), Some('+' | '-')));
                if self.peek_at(1 + sign).is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1 + sign;
                    self.eat_while(|c| c.is_ascii_digit());
                }
            }
        }
        if self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            self.eat_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            return Kind::Error;
        }
        if self.pos == start {
            Kind::Error
        } else {
            Kind::Number
        }
    }

    fn identifier(&mut self) -> Kind {
        let start = self.pos;
        let in_labels = self.braces > 0 || self.label_list;
        if in_labels {
            // Label names have no colons.
            self.eat_while(|c| c.is_ascii_alphanumeric() || c == '_');
            if self.pos == start {
                self.pos += 1;
                return Kind::Error;
            }
        } else {
            self.eat_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        }
        let word = self.text.get(start..self.pos).unwrap_or("");
        if in_labels {
            Kind::LabelName
        } else if word.eq_ignore_ascii_case("inf") || word.eq_ignore_ascii_case("nan") {
            Kind::Number
        } else if is_keyword(word) {
            Kind::Keyword
        } else if is_aggregation(word) {
            Kind::Aggregation
        } else if is_function(word) && self.rest().trim_start().starts_with('(') {
            Kind::Function
        } else {
            Kind::Metric
        }
    }
}

/// PromQL's whitespace; other Unicode spaces are errors, as in PromQL (and the check stays ASCII,
/// which keeps Unicode tables out of the main module).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// The length of a duration at the start of `s` (`1h30m`, `500ms`), if one is there and is not
/// glued to more identifier characters.
fn duration_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut parts = 0;
    loop {
        let digits = bytes.get(i..).unwrap_or(&[]).iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            break;
        }
        let after = s.get(i + digits..).unwrap_or("");
        let Some(unit) = UNITS.iter().find(|u| after.starts_with(**u)) else {
            break;
        };
        i += digits + unit.len();
        parts += 1;
    }
    let glued = s
        .get(i..)
        .and_then(|r| r.chars().next())
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    (parts > 0 && !glued).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        lex(text)
            .into_iter()
            .filter(|t| t.kind != Kind::Whitespace)
            .map(|t| (t.kind, &text[t.span]))
            .collect()
    }

    #[test]
    fn a_typical_query() {
        use Kind::*;
        assert_eq!(
            kinds(r#"sum by (job) (rate(http_requests_total{code=~"5.."}[5m] offset 1h30m)) > 0.5"#),
            vec![
                (Aggregation, "sum"),
                (Keyword, "by"),
                (Bracket, "("),
                (LabelName, "job"),
                (Bracket, ")"),
                (Bracket, "("),
                (Function, "rate"),
                (Bracket, "("),
                (Metric, "http_requests_total"),
                (Bracket, "{"),
                (LabelName, "code"),
                (Operator, "=~"),
                (String, "\"5..\""),
                (Bracket, "}"),
                (Bracket, "["),
                (Duration, "5m"),
                (Bracket, "]"),
                (Keyword, "offset"),
                (Duration, "1h30m"),
                (Bracket, ")"),
                (Bracket, ")"),
                (Operator, ">"),
                (Number, "0.5"),
            ]
        );
    }

    #[test]
    fn numbers_durations_and_subqueries() {
        use Kind::*;
        assert_eq!(
            kinds("0x1F 1e-3 .5 Inf NaN 500ms 1y 5min"),
            vec![
                (Number, "0x1F"),
                (Number, "1e-3"),
                (Number, ".5"),
                (Number, "Inf"),
                (Number, "NaN"),
                (Duration, "500ms"),
                (Duration, "1y"),
                (Error, "5min"),
            ]
        );
        assert_eq!(
            kinds("job:up:rate5m[30m:1m] @ start()"),
            vec![
                (Metric, "job:up:rate5m"),
                (Bracket, "["),
                (Duration, "30m"),
                (Colon, ":"),
                (Duration, "1m"),
                (Bracket, "]"),
                (At, "@"),
                (Function, "start"),
                (Bracket, "("),
                (Bracket, ")"),
            ]
        );
    }

    #[test]
    fn strings_comments_and_errors() {
        use Kind::*;
        assert_eq!(
            kinds("a{b='x\\'y', c=`raw\\`} # note\n!x \"open"),
            vec![
                (Metric, "a"),
                (Bracket, "{"),
                (LabelName, "b"),
                (Operator, "="),
                (String, "'x\\'y'"),
                (Comma, ","),
                (LabelName, "c"),
                (Operator, "="),
                (String, "`raw\\`"),
                (Bracket, "}"),
                (Comment, "# note"),
                (Error, "!"),
                (Metric, "x"),
                (Error, "\"open"),
            ]
        );
        // A function name without a call is a metric; keywords ignore case.
        assert_eq!(kinds("rate SUM"), vec![(Metric, "rate"), (Aggregation, "SUM")]);
    }

    #[test]
    fn tokens_cover_any_input() {
        for text in ["", "é{ü=\"ß", "1ék", "\u{1F600}(", "{:}", "0x", "1e", "[5m:", "\"\\", "'a\nb'"] {
            let tokens = lex(text);
            let mut at = 0;
            for t in &tokens {
                assert_eq!(t.span.start, at, "{text:?}: {tokens:?}");
                assert!(t.span.end > t.span.start);
                at = t.span.end;
            }
            assert_eq!(at, text.len());
        }
    }
}
