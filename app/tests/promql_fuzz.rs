//! Fuzzing the editor's pure side and the parser worker's answers: nothing panics on arbitrary
//! text or on PromQL-shaped text, tokens cover the input, and formatting is stable.
//!
//! The quick runs are part of `cargo test -p app`; the long run (1,000,000 cases in all) is
//! `cargo test -p app --release -- --ignored fuzz`. `tests/data/promql-fuzz-corpus.txt` keeps
//! crashers and tricky inputs, one per line, and runs through everything every time.

use app::promql::{completion, editor, lexer, worker};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Cases per property in the quick run (five properties: 10,000 in all).
const QUICK: u32 = 2_000;
/// Cases per property in the long run (five properties: 1,000,000 in all).
const LONG: u32 = 200_000;

/// Everything the editor does with `text`, checked for consistency.
fn editor_on(text: &str, caret: usize, message: &str) -> Result<(), TestCaseError> {
    let tokens = lexer::lex(text);
    let mut at = 0;
    for t in &tokens {
        prop_assert_eq!(t.span.start, at);
        prop_assert!(t.span.end > t.span.start);
        prop_assert!(text.is_char_boundary(t.span.end));
        at = t.span.end;
    }
    prop_assert_eq!(at, text.len());
    for (range, _) in editor::highlight(text) {
        prop_assert!(text.get(range).is_some());
    }
    let pairs = editor::pair_brackets(text, &tokens);
    prop_assert_eq!(pairs.len(), tokens.len());
    for (i, b) in pairs.iter().enumerate() {
        if let editor::Bracket::Pair(j) = *b {
            prop_assert_eq!(pairs.get(j), Some(&editor::Bracket::Pair(i)), "pairs are symmetric");
        }
    }
    let _ = editor::unmatched_bracket(text);
    let error = editor::locate_error(text, message);
    prop_assert!(text.get(error.clone()).is_some(), "error range {:?} in {:?}", error, text);
    let byte = editor::byte_offset(text, caret);
    prop_assert!(text.is_char_boundary(byte));
    for (c, e) in
        [(byte, Some(error)), (caret, Some(caret..caret / 2)), (caret, Some(caret / 2..caret)), (caret, None)]
    {
        let m = editor::mirror(text, c, e);
        let all: Vec<_> = m.before.iter().chain(m.error.iter().flatten()).chain(&m.after).collect();
        let mut at = 0;
        for s in all {
            prop_assert_eq!(s.range.start, at);
            prop_assert!(text.get(s.range.clone()).is_some());
            at = s.range.end;
        }
        prop_assert_eq!(at, text.len());
    }
    Ok(())
}

/// Completion at any caret: ranges inside the text, at most the limit, accepting gives valid UTF-8
/// with the caret on a char boundary after the insertion.
fn completion_on(text: &str, caret: usize, words: &[String]) -> Result<(), TestCaseError> {
    let sources =
        completion::Sources { metrics: words, label_names: words, label_values: words, history: words };
    let (place, items) = completion::complete(text, caret, sources);
    prop_assert!(text.get(place.range.clone()).is_some(), "{:?} in {:?}", place.range, text);
    prop_assert!(items.len() <= completion::LIMIT);
    for c in &items {
        prop_assert!(text.get(c.range.clone()).is_some(), "{:?} in {:?}", c.range, text);
        let (out, at) = completion::accept(text, c);
        prop_assert!(out.is_char_boundary(at));
        prop_assert!(out.get(..at).is_some_and(|b| b.ends_with(&c.insert)));
    }
    Ok(())
}

/// The worker's answers (check, format, explain), and formatting: valid input formats to valid text
/// that formats to itself.
fn parser_on(text: &str) -> Result<(), TestCaseError> {
    for (format, explain) in [(false, false), (true, false), (false, true)] {
        let req = worker::CheckRequest { id: 1, expr: text.to_string(), format, explain };
        let message = serde_json::to_string(&req).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(worker::answer(&message).is_some());
    }
    if worker::check(text).is_ok() {
        let once = worker::format(text);
        prop_assert!(once.is_ok(), "{:?} parses but does not format: {:?}", text, once);
        let once = once.unwrap_or_default();
        let twice = worker::format(&once);
        prop_assert_eq!(twice.as_deref(), Ok(once.as_str()), "formatting {:?} is not stable", text);
    }
    Ok(())
}

/// PromQL-shaped text from a small grammar, with some noise so the error paths get exercised.
fn promql_shaped() -> impl Strategy<Value = String> {
    let metric =
        prop::sample::select(vec!["up", "http_requests_total", "job:rate5m", "a_b", "node_cpu", "x"]);
    let label = prop::sample::select(vec!["job", "instance", "le", "code", "__name__", "on", "a"]);
    let string = prop_oneof![
        "[a-z0-9 .*]{0,6}".prop_map(|s| format!("\"{s}\"")),
        Just(r#""\"quoted\"\n\t\\ \x41 \u00e9""#.to_string()),
        Just("'single \\' q'".to_string()),
        Just("`raw \\ back`".to_string()),
        Just("\"é€😀\"".to_string()),
        Just("\"open".to_string()),
    ];
    let duration =
        prop::sample::select(vec!["5m", "1h30m", "500ms", "1d", "2w", "1y", "30s", "0s", "1m1s", "5"])
            .prop_map(String::from);
    let number =
        prop::sample::select(vec!["1", "0.5", "1e3", "0x1F", "Inf", "-Inf", "NaN", ".5", "1e-3", "42"])
            .prop_map(String::from);
    let matcher = (label.clone(), prop::sample::select(vec!["=", "!=", "=~", "!~"]), string.clone())
        .prop_map(|(l, op, s)| format!("{l}{op}{s}"));
    let selector = (metric, prop::collection::vec(matcher, 0..3), prop::option::of(duration.clone()))
        .prop_map(|(m, ms, range)| {
            let braces = if ms.is_empty() { String::new() } else { format!("{{{}}}", ms.join(",")) };
            let range = range.map(|d| format!("[{d}]")).unwrap_or_default();
            format!("{m}{braces}{range}")
        });
    let leaf = prop_oneof![4 => selector, 1 => number, 1 => string];
    let tree = leaf.prop_recursive(4, 24, 3, move |inner| {
        let labels = prop::collection::vec(label.clone(), 0..3).prop_map(|l| l.join(", "));
        prop_oneof![
            (
                prop::sample::select(vec![
                    "rate",
                    "abs",
                    "sort",
                    "histogram_quantile",
                    "label_replace",
                    "vector",
                    "time",
                    "foo"
                ]),
                prop::collection::vec(inner.clone(), 0..3)
            )
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            (
                prop::sample::select(vec!["sum", "avg", "count", "topk", "quantile", "count_values", "max"]),
                prop::sample::select(vec!["by", "without", ""]),
                labels.clone(),
                prop::collection::vec(inner.clone(), 1..3)
            )
                .prop_map(|(a, g, l, args)| {
                    let group = if g.is_empty() { String::new() } else { format!(" {g} ({l})") };
                    format!("{a}{group} ({})", args.join(", "))
                }),
            (
                inner.clone(),
                prop::sample::select(vec![
                    "+", "-", "*", "/", "%", "^", "==", "!=", ">", "<=", "and", "or", "unless", "atan2",
                    "> bool"
                ]),
                prop::sample::select(vec![
                    "",
                    " on (job)",
                    " ignoring (a) group_left (b)",
                    " on() group_right"
                ]),
                inner.clone()
            )
                .prop_map(|(l, op, m, r)| format!("{l} {op}{m} {r}")),
            inner.clone().prop_map(|e| format!("({e})")),
            inner.clone().prop_map(|e| format!("-{e}")),
            (inner.clone(), duration.clone(), prop::option::of(duration.clone()))
                .prop_map(|(e, r, s)| format!("({e})[{r}:{}]", s.unwrap_or_default())),
            (inner.clone(), duration.clone()).prop_map(|(e, d)| format!("{e} offset {d}")),
            (inner.clone(), prop::sample::select(vec!["123", "start()", "end()", "1e3"]))
                .prop_map(|(e, t)| format!("{e} @ {t}")),
            inner.clone().prop_map(|e| format!("{e} # comment ü\n")),
        ]
    });
    // Noise: cut the text short or splice in a stray character.
    (
        tree,
        0usize..64,
        prop::sample::select(vec!["", "", "", "(", ")", "]", "{", "\"", "é", "😀", "!", "\n", "\\", ":"]),
    )
        .prop_map(|(text, cut, extra)| {
            if extra.is_empty() {
                return text;
            }
            let at = text.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(text.len());
            format!("{}{extra}{}", &text[..at], &text[at..])
        })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[ -~é€😀\n\t]{0,40}", promql_shaped()]
}

fn run<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    if let Err(e) = TestRunner::new(config).run(&strategy, test) {
        panic!("{e}");
    }
}

fn editor_property(cases: u32) {
    run(cases, (text(), any::<usize>(), "[ -~]{0,30}"), |(t, caret, m)| {
        editor_on(&t, caret % (t.len() + 2), &m)
    });
}

fn editor_shaped_property(cases: u32) {
    run(
        cases,
        (
            promql_shaped(),
            0usize..80,
            prop::sample::select(vec![
                "unexpected end of input",
                "unknown function: foo",
                "expected type matrix in call to function 'rate', got vector",
                "x",
            ]),
        ),
        |(t, caret, m)| editor_on(&t, caret, m),
    );
}

fn completion_property(cases: u32) {
    run(
        cases,
        (text(), any::<usize>(), prop::collection::vec("[ -~é]{0,12}", 0..6)),
        |(t, caret, words)| completion_on(&t, caret % (t.len() + 2), &words),
    );
}

fn parser_property(cases: u32) {
    run(cases, text(), |t| parser_on(&t));
}

fn parser_shaped_property(cases: u32) {
    run(cases, promql_shaped(), |t| parser_on(&t));
}

#[test]
fn fuzz_quick() {
    editor_property(QUICK);
    editor_shaped_property(QUICK);
    parser_property(QUICK);
    parser_shaped_property(QUICK);
    completion_property(QUICK);
}

#[test]
#[ignore = "long: run with --release -- --ignored fuzz"]
fn fuzz_long() {
    editor_property(LONG);
    editor_shaped_property(LONG);
    parser_property(LONG);
    parser_shaped_property(LONG);
    completion_property(LONG);
}

#[test]
fn the_corpus_goes_through_everything() {
    let corpus = include_str!("data/promql-fuzz-corpus.txt");
    let mut n = 0;
    for line in corpus.lines() {
        for caret in [0, 1, line.len() / 2, line.len(), line.len() + 1] {
            editor_on(line, caret, "unexpected character: '!'").unwrap_or_else(|e| panic!("{line:?}: {e}"));
            let words = ["up".to_string(), "q\"uote".to_string(), "é".to_string()];
            completion_on(line, caret, &words).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        }
        parser_on(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        n += 1;
    }
    assert!(n >= 20, "the corpus has {n} lines");
}
