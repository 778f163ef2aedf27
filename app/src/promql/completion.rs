//! Autocomplete for the expression editor: what the caret is in (from [`lexer`] tokens before it)
//! and the ranked candidates for it. Pure and total: any text and any caret give an answer.

use std::ops::Range;

use crate::promql::lexer::{self, Kind, Token};
use crate::promql::vocabulary::{AGGREGATIONS, FUNCTIONS, KEYWORDS};

/// How many candidates a list shows at most.
pub const LIMIT: usize = 50;

/// Durations offered inside `[…]`.
pub const DURATIONS: &[&str] = &["1m", "5m", "15m", "1h", "6h", "1d"];

/// What the caret is in, and so which data the candidates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    /// Metric names, functions, aggregations, keywords and history.
    Expression,
    /// Label names inside `{…}` (of `metric` when one is before the `{`) or in `by (…)` style lists.
    LabelName { metric: Option<String> },
    /// Values of `label` after a matcher operator; `quote` is the opening quote if one is typed.
    LabelValue { label: String, metric: Option<String>, quote: Option<char> },
    /// Inside `[…]`.
    Duration,
    /// Nothing to offer (inside a finished string, a comment, …).
    None,
}

/// The context and the byte range of the partial word the caret is in (what accepting replaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub context: Context,
    pub range: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateKind {
    History,
    Metric,
    Function,
    Aggregation,
    Keyword,
    LabelName,
    LabelValue,
    Duration,
}

impl CandidateKind {
    pub fn name(self) -> &'static str {
        match self {
            CandidateKind::History => "history",
            CandidateKind::Metric => "metric",
            CandidateKind::Function => "function",
            CandidateKind::Aggregation => "aggregation",
            CandidateKind::Keyword => "keyword",
            CandidateKind::LabelName => "label",
            CandidateKind::LabelValue => "value",
            CandidateKind::Duration => "duration",
        }
    }
}

/// One entry of the list: what it shows and what accepting it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub label: String,
    pub kind: CandidateKind,
    pub signature: &'static str,
    pub doc: &'static str,
    /// The text that replaces `range`; the caret goes after it.
    pub insert: String,
    pub range: Range<usize>,
}

/// The data the server side knows (fetched by the UI); empty slices are fine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sources<'a> {
    pub metrics: &'a [String],
    pub label_names: &'a [String],
    pub label_values: &'a [String],
    pub history: &'a [String],
}

fn significant(t: &Token) -> bool {
    !matches!(t.kind, Kind::Whitespace | Kind::Comment)
}

fn is_word(kind: Kind) -> bool {
    matches!(kind, Kind::Metric | Kind::Keyword | Kind::Aggregation | Kind::Function | Kind::LabelName)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// The largest char boundary at or before `at`, within `text`.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// An open bracket on the stack while walking the tokens.
enum Open {
    Paren { labels: bool },
    Brace { metric: Option<String> },
    Square,
}

/// Where the caret at byte `caret` is, and the partial word it is in.
pub fn place(text: &str, caret: usize) -> Place {
    let caret = floor_boundary(text, caret);
    let before = text.get(..caret).unwrap_or("");
    let tokens: Vec<Token> = lexer::lex(before).into_iter().filter(significant).collect();
    // The caret's own token, when it is being typed (ends at the caret).
    let (partial, rest) = match tokens.split_last() {
        Some((last, rest)) if last.span.end == caret => (Some(last), rest),
        _ => (None, &tokens[..]),
    };
    // After a comment or whitespace the caret starts a new word.
    let touching = partial.is_some()
        && !before.ends_with(|c: char| c.is_whitespace())
        && lexer::lex(before).last().is_some_and(significant);
    let partial = partial.filter(|_| touching);
    let rest = if partial.is_some() { rest } else { &tokens[..] };

    // The open brackets and the last significant token before the partial word.
    let mut stack: Vec<Open> = Vec::new();
    let mut prev: Option<&Token> = None;
    for t in rest {
        let s = before.get(t.span.clone()).unwrap_or("");
        if t.kind == Kind::Bracket {
            match s {
                "(" => {
                    let labels = prev.is_some_and(|p| {
                        p.kind == Kind::Keyword
                            && ["by", "without", "on", "ignoring", "group_left", "group_right"].iter().any(
                                |g| before.get(p.span.clone()).is_some_and(|w| w.eq_ignore_ascii_case(g)),
                            )
                    });
                    stack.push(Open::Paren { labels });
                }
                "{" => {
                    let metric = prev
                        .filter(|p| p.kind == Kind::Metric && p.span.end == t.span.start)
                        .and_then(|p| before.get(p.span.clone()))
                        .map(str::to_string);
                    stack.push(Open::Brace { metric });
                }
                "[" => stack.push(Open::Square),
                _ => {
                    stack.pop();
                }
            }
        }
        prev = Some(t);
    }

    let word_end = |from: usize| {
        from + text
            .get(from..)
            .unwrap_or("")
            .chars()
            .take_while(|&c| is_word_char(c))
            .map(char::len_utf8)
            .sum::<usize>()
    };
    let none = Place { context: Context::None, range: caret..caret };

    // A string being typed: only a label value after a matcher operator.
    if let Some(p) = partial {
        let s = before.get(p.span.clone()).unwrap_or("");
        if let Some(quote) = s.chars().next().filter(|c| matches!(c, '"' | '\'' | '`')) {
            if p.kind != Kind::Error {
                return none; // a finished string
            }
            return match (stack.last(), value_label(before, rest)) {
                (Some(Open::Brace { metric }), Some(label)) => Place {
                    context: Context::LabelValue { label, metric: metric.clone(), quote: Some(quote) },
                    range: p.span.start + quote.len_utf8()..value_end(text, caret, quote),
                },
                _ => none,
            };
        }
    }
    let start = match partial {
        Some(p) if is_word(p.kind) => p.span.start,
        Some(p)
            if matches!(stack.last(), Some(Open::Square))
                && matches!(p.kind, Kind::Number | Kind::Duration | Kind::Error) =>
        {
            p.span.start
        }
        // A partial that is not a word (an operator, a bracket): a new word starts at the caret.
        Some(p) if !is_word(p.kind) => {
            return place_after(before, rest, partial, &stack, caret);
        }
        _ => caret,
    };
    let range = start..word_end(caret).max(caret);
    let context = match stack.last() {
        Some(Open::Brace { metric }) => match value_label(before, rest) {
            Some(label) => Context::LabelValue { label, metric: metric.clone(), quote: None },
            None => Context::LabelName { metric: metric.clone() },
        },
        Some(Open::Paren { labels: true }) => Context::LabelName { metric: None },
        Some(Open::Square) => Context::Duration,
        _ => Context::Expression,
    };
    if partial.is_some_and(|p| !is_word(p.kind)) && context != Context::Duration {
        return none;
    }
    Place { context, range }
}

/// The context right after a non-word token at the caret (`{`, `(`, `=`, `[`, `,`, an operator).
fn place_after(before: &str, rest: &[Token], partial: Option<&Token>, stack: &[Open], caret: usize) -> Place {
    let Some(p) = partial else {
        return Place { context: Context::None, range: caret..caret };
    };
    let s = before.get(p.span.clone()).unwrap_or("");
    let mut all: Vec<Token> = rest.to_vec();
    all.push(p.clone());
    let context = match (p.kind, s) {
        (Kind::Bracket, "{") => Context::LabelName {
            metric: rest
                .last()
                .filter(|m| m.kind == Kind::Metric && m.span.end == p.span.start)
                .and_then(|m| before.get(m.span.clone()))
                .map(str::to_string),
        },
        (Kind::Bracket, "[") => Context::Duration,
        (Kind::Bracket, "(") => {
            let labels = rest.last().is_some_and(|k| {
                k.kind == Kind::Keyword
                    && ["by", "without", "on", "ignoring", "group_left", "group_right"]
                        .iter()
                        .any(|g| before.get(k.span.clone()).is_some_and(|w| w.eq_ignore_ascii_case(g)))
            });
            if labels {
                Context::LabelName { metric: None }
            } else {
                Context::Expression
            }
        }
        (Kind::Colon, _) => Context::Duration,
        (Kind::Operator, "=" | "!=" | "=~" | "!~") => match (stack.last(), value_label(before, &all)) {
            (Some(Open::Brace { metric }), Some(label)) => {
                Context::LabelValue { label, metric: metric.clone(), quote: None }
            }
            _ => Context::Expression,
        },
        (Kind::Comma, _) => match stack.last() {
            Some(Open::Brace { metric }) => Context::LabelName { metric: metric.clone() },
            Some(Open::Paren { labels: true }) => Context::LabelName { metric: None },
            _ => Context::Expression,
        },
        (Kind::Operator, _) => Context::Expression,
        _ => Context::None,
    };
    Place { context, range: caret..caret }
}

/// The end of a quoted value being edited: up to its closing quote or the line end.
fn value_end(text: &str, caret: usize, quote: char) -> usize {
    caret
        + text
            .get(caret..)
            .unwrap_or("")
            .chars()
            .take_while(|&c| c != quote && c != '\n')
            .map(char::len_utf8)
            .sum::<usize>()
}

/// The label name when `tokens` end with `label` and a matcher operator.
fn value_label(text: &str, tokens: &[Token]) -> Option<String> {
    let [.., name, op] = tokens else { return None };
    let op_text = text.get(op.span.clone())?;
    (name.kind == Kind::LabelName && op.kind == Kind::Operator && matches!(op_text, "=" | "!=" | "=~" | "!~"))
        .then(|| text.get(name.span.clone()).map(str::to_string))
        .flatten()
}

/// 0 for a prefix match, 1 for a substring match, `None` otherwise; ASCII case-insensitive.
fn score(candidate: &str, word: &str) -> Option<u8> {
    let c = candidate.to_ascii_lowercase();
    let w = word.to_ascii_lowercase();
    if c.starts_with(&w) {
        Some(0)
    } else if c.contains(&w) {
        Some(1)
    } else {
        None
    }
}

/// Escapes a label value for a string in `quote`.
fn quoted(value: &str, quote: char) -> String {
    if quote == '`' {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c == '\\' || c == quote {
            out.push('\\');
        }
        if c == '\n' {
            out.push_str("\\n");
        } else {
            out.push(c);
        }
    }
    out
}

/// The candidates for the caret at byte `caret` of `text`: ranked, at most [`LIMIT`].
pub fn complete(text: &str, caret: usize, sources: Sources<'_>) -> (Place, Vec<Candidate>) {
    let place = place(text, caret);
    let caret = floor_boundary(text, caret);
    let range = place.range.clone();
    let word = text.get(range.start..caret.max(range.start)).unwrap_or("");
    let current = text.get(range.clone()).unwrap_or("");
    let mut all: Vec<(u8, Candidate)> = Vec::new();
    let mut add =
        |label: &str, kind: CandidateKind, signature: &'static str, doc: &'static str, insert: String| {
            if let Some(s) = score(label, word) {
                if insert != current || kind == CandidateKind::Function {
                    all.push((
                        s,
                        Candidate {
                            label: label.to_string(),
                            kind,
                            signature,
                            doc,
                            insert,
                            range: range.clone(),
                        },
                    ));
                }
            }
        };
    match &place.context {
        Context::None => {}
        Context::Expression => {
            for m in sources.metrics {
                add(m, CandidateKind::Metric, "", "", m.clone());
            }
            for (name, sig, doc) in FUNCTIONS {
                add(name, CandidateKind::Function, sig, doc, format!("{name}("));
            }
            for (name, sig, doc) in AGGREGATIONS {
                add(name, CandidateKind::Aggregation, sig, doc, (*name).to_string());
            }
            for (name, doc) in KEYWORDS {
                add(name, CandidateKind::Keyword, "", doc, (*name).to_string());
            }
        }
        Context::LabelName { .. } => {
            for n in sources.label_names {
                add(n, CandidateKind::LabelName, "", "", n.clone());
            }
        }
        Context::LabelValue { quote, .. } => {
            let q = quote.unwrap_or('"');
            let closed = quote.is_some() && text.get(range.end..).is_some_and(|r| r.starts_with(q));
            for v in sources.label_values {
                let body = quoted(v, q);
                let insert = match (quote, closed) {
                    (None, _) => format!("{q}{body}{q}"),
                    (Some(_), true) => body,
                    (Some(_), false) => format!("{body}{q}"),
                };
                add(v, CandidateKind::LabelValue, "", "", insert);
            }
        }
        Context::Duration => {
            for d in DURATIONS {
                add(d, CandidateKind::Duration, "", "", (*d).to_string());
            }
        }
    }
    // Past queries that start with everything before the caret replace the whole text.
    let typed = text.get(..caret).unwrap_or("").trim_start();
    if place.context == Context::Expression && !typed.is_empty() {
        let lead = caret - typed.len();
        for h in sources.history {
            if h.len() > typed.len() && h.get(..typed.len()).is_some_and(|p| p.eq_ignore_ascii_case(typed)) {
                all.push((
                    0,
                    Candidate {
                        label: h.clone(),
                        kind: CandidateKind::History,
                        signature: "",
                        doc: "",
                        insert: h.clone(),
                        range: lead..range.end.max(caret),
                    },
                ));
            }
        }
    }
    // Stable: within a score, history first, then the order above.
    all.sort_by_key(|(s, c)| (*s, c.kind != CandidateKind::History));
    all.truncate(LIMIT);
    (place, all.into_iter().map(|(_, c)| c).collect())
}

/// `text` with `c` accepted: the new text and the caret's byte offset after the insertion.
pub fn accept(text: &str, c: &Candidate) -> (String, usize) {
    let start = floor_boundary(text, c.range.start);
    let end = floor_boundary(text, c.range.end.max(start));
    let mut out = String::with_capacity(text.len() + c.insert.len());
    out.push_str(text.get(..start).unwrap_or(""));
    out.push_str(&c.insert);
    let caret = out.len();
    out.push_str(text.get(end..).unwrap_or(""));
    (out, caret)
}

/// The list's scroll offset that brings an entry spanning `item` (top, bottom, in px) into a view
/// scrolled to `scroll` and `height` tall, moving as little as possible; `None` if it shows already.
pub fn scroll_to_show(item: (i32, i32), scroll: i32, height: i32) -> Option<i32> {
    if item.0 < scroll {
        Some(item.0)
    } else if item.1 > scroll + height {
        Some(item.1 - height)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(text: &str) -> Context {
        place(text, text.len()).context
    }

    fn labels(text: &str, sources: Sources<'_>) -> Vec<String> {
        complete(text, text.len(), sources).1.into_iter().map(|c| c.label).collect()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn the_selected_entry_is_scrolled_into_view() {
        assert_eq!(scroll_to_show((40, 60), 0, 100), None);
        assert_eq!(scroll_to_show((100, 120), 0, 100), Some(20), "below: its bottom at the view's bottom");
        assert_eq!(scroll_to_show((0, 20), 200, 100), Some(0), "above: its top at the view's top");
        assert_eq!(scroll_to_show((200, 220), 150, 100), None);
    }

    #[test]
    fn contexts() {
        assert_eq!(ctx(""), Context::Expression);
        assert_eq!(ctx("ra"), Context::Expression);
        assert_eq!(ctx("up{"), Context::LabelName { metric: Some("up".into()) });
        assert_eq!(ctx("up{jo"), Context::LabelName { metric: Some("up".into()) });
        assert_eq!(ctx("{job=\"a\", in"), Context::LabelName { metric: None });
        assert_eq!(
            ctx("up{job=\"pro"),
            Context::LabelValue { label: "job".into(), metric: Some("up".into()), quote: Some('"') }
        );
        assert_eq!(
            ctx("up{job=~"),
            Context::LabelValue { label: "job".into(), metric: Some("up".into()), quote: None }
        );
        assert_eq!(
            ctx("up{job!~'"),
            Context::LabelValue { label: "job".into(), metric: Some("up".into()), quote: Some('\'') }
        );
        assert_eq!(ctx("sum by ("), Context::LabelName { metric: None });
        assert_eq!(ctx("sum without (a, b"), Context::LabelName { metric: None });
        assert_eq!(ctx("a / on(x) group_left(y"), Context::LabelName { metric: None });
        assert_eq!(ctx("rate(x["), Context::Duration);
        assert_eq!(ctx("rate(x[5"), Context::Duration);
        assert_eq!(ctx("max_over_time(x[1h:"), Context::Duration);
        assert_eq!(ctx("max_over_time(x[1h:1"), Context::Duration);
        assert_eq!(ctx("rate(x[5m]) "), Context::Expression);
        assert_eq!(ctx("sum(rate(x[5m]))"), Context::None);
        assert_eq!(ctx("up{job=\"a\""), Context::None);
        assert_eq!(ctx("# comm"), Context::Expression);
        assert_eq!(ctx("sum(r"), Context::Expression);
    }

    #[test]
    fn ranges_cover_the_word_around_the_caret() {
        assert_eq!(place("sum(rat)", 6).range, 4..7);
        assert_eq!(place("up{jo}", 5).range, 3..5);
        assert_eq!(place("up{job=\"pr\"}", 9).range, 8..10);
        assert_eq!(place("a + ", 4).range, 4..4);
    }

    #[test]
    fn ranking_prefix_then_substring_case_insensitive() {
        let metrics = s(&["node_rate_x", "RATE_total", "up"]);
        let got = labels("rate", Sources { metrics: &metrics, ..Sources::default() });
        let first_sub = got.iter().position(|l| l == "node_rate_x").unwrap();
        let rate = got.iter().position(|l| l == "rate").unwrap();
        let upper = got.iter().position(|l| l == "RATE_total").unwrap();
        assert!(rate < first_sub && upper < first_sub, "{got:?}");
        assert!(!got.contains(&"up".to_string()));
        assert!(labels("", Sources::default()).len() <= LIMIT);
    }

    #[test]
    fn functions_get_a_paren_and_docs() {
        let (_, c) = complete("histogram_q", 11, Sources::default());
        let h = c.iter().find(|c| c.label == "histogram_quantile").unwrap();
        assert_eq!(h.insert, "histogram_quantile(");
        assert!(!h.signature.is_empty() && !h.doc.is_empty());
        assert_eq!(accept("histogram_q", h), ("histogram_quantile(".to_string(), 19));
        for (f, _, doc) in FUNCTIONS {
            assert!(lexer::is_function(f), "{f}");
            assert!(!doc.is_empty());
        }
        for (a, _, _) in AGGREGATIONS {
            assert!(lexer::is_aggregation(a), "{a}");
        }
        for (k, _) in KEYWORDS {
            assert!(lexer::is_keyword(k), "{k}");
        }
    }

    #[test]
    fn label_values_are_quoted_and_escaped() {
        let values = s(&["one", "two", "q\"uote"]);
        let src = Sources { label_values: &values, ..Sources::default() };
        let (_, c) = complete("x{id=", 5, src);
        assert_eq!(c[0].insert, "\"one\"");
        let (_, c) = complete("x{id=\"", 6, src);
        assert_eq!(c[0].insert, "one\"");
        let t = "x{id=\"\"}";
        let (_, c) = complete(t, 6, src);
        assert_eq!(c[0].insert, "one");
        assert_eq!(accept(t, &c[0]), ("x{id=\"one\"}".to_string(), 9));
        let (_, c) = complete("x{id=\"q", 7, src);
        assert_eq!(c.iter().find(|c| c.label == "q\"uote").unwrap().insert, "q\\\"uote\"");
    }

    #[test]
    fn durations_and_history() {
        assert_eq!(labels("rate(x[", Sources::default()), s(DURATIONS));
        assert_eq!(labels("rate(x[1", Sources::default()), s(&["1m", "15m", "1h", "1d"]));
        let history = s(&["sum(rate(up[5m]))", "up"]);
        let (_, c) = complete("  sum(r", 7, Sources { history: &history, ..Sources::default() });
        assert_eq!(c[0].kind, CandidateKind::History);
        assert_eq!(accept("  sum(r", &c[0]).0, "  sum(rate(up[5m]))");
    }

    #[test]
    fn odd_carets_and_text_do_not_panic() {
        for t in ["", "é", "{\"é", "😀[", "up{a=\"\\", "x[1h:é", "((((", "}}}]]])))", "by (", "`"] {
            for c in 0..t.len() + 3 {
                let (p, items) = complete(t, c, Sources::default());
                assert!(p.range.start <= p.range.end);
                for i in items {
                    let _ = accept(t, &i);
                }
            }
        }
    }
}
