//! The expression editor's pure side: colour classes per token, bracket pairs around the caret,
//! where a parse error sits, and the pieces the highlighted mirror is drawn from.
//!
//! promql-parser's errors carry no positions, so [`locate_error`] finds a place itself: first what
//! the lexer alone can tell (bad characters, unterminated strings, unbalanced brackets), then a token
//! the message quotes, then the end of the input.

use std::ops::Range;

use crate::promql::lexer::{lex, Kind, Token};

/// The CSS class of a token kind; `None` for plain whitespace.
pub fn class(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Metric => "tok-metric",
        Kind::Keyword => "tok-keyword",
        Kind::Aggregation => "tok-aggregation",
        Kind::Function => "tok-function",
        Kind::LabelName => "tok-label",
        Kind::String => "tok-string",
        Kind::Number => "tok-number",
        Kind::Duration => "tok-duration",
        Kind::Operator => "tok-operator",
        Kind::Bracket => "tok-bracket",
        Kind::At | Kind::Comma | Kind::Colon => "tok-punct",
        Kind::Comment => "tok-comment",
        Kind::Error => "tok-error",
        Kind::Whitespace => return None,
    })
}

/// Text → (byte range, class) for every token that is not whitespace.
pub fn highlight(text: &str) -> Vec<(Range<usize>, &'static str)> {
    lex(text).into_iter().filter_map(|t| class(t.kind).map(|c| (t.span, c))).collect()
}

/// What a token is to bracket matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bracket {
    NotABracket,
    Unmatched,
    /// Paired with the token at this index.
    Pair(usize),
}

/// Brackets paired up, one entry per token of `tokens`.
pub fn pair_brackets(text: &str, tokens: &[Token]) -> Vec<Bracket> {
    let mut out = vec![Bracket::NotABracket; tokens.len()];
    let mut open: Vec<(usize, char)> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if t.kind != Kind::Bracket {
            continue;
        }
        let Some(c) = text.get(t.span.clone()).and_then(|s| s.chars().next()) else {
            continue;
        };
        let want = match c {
            '(' | '{' | '[' => {
                open.push((i, c));
                continue;
            }
            ')' => '(',
            '}' => '{',
            _ => '[',
        };
        // A closer pairs with the innermost opener of its shape; other openers above that one stay
        // unmatched.
        let mut partner = Bracket::Unmatched;
        if let Some(k) = open.iter().rposition(|&(_, o)| o == want) {
            for (j, _) in open.drain(k..) {
                let paired = partner == Bracket::Unmatched;
                set(&mut out, j, if paired { Bracket::Pair(i) } else { Bracket::Unmatched });
                if paired {
                    partner = Bracket::Pair(j);
                }
            }
        }
        set(&mut out, i, partner);
    }
    for (j, _) in open {
        set(&mut out, j, Bracket::Unmatched);
    }
    out
}

fn set(out: &mut [Bracket], i: usize, b: Bracket) {
    if let Some(slot) = out.get_mut(i) {
        *slot = b;
    }
}

/// The first unmatched bracket's range in `tokens`, if any.
fn first_unmatched(text: &str, tokens: &[Token]) -> Option<Range<usize>> {
    let pairs = pair_brackets(text, tokens);
    tokens.iter().zip(pairs).find(|(_, b)| *b == Bracket::Unmatched).map(|(t, _)| t.span.clone())
}

/// The byte offset of a UTF-16 offset (what `selectionStart` counts), clamped to `text`.
pub fn byte_offset(text: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// The first unmatched bracket's range, if any.
pub fn unmatched_bracket(text: &str) -> Option<Range<usize>> {
    first_unmatched(text, &lex(text))
}

/// Where the parse error `message` about `text` most likely is (a byte range; empty at the end of
/// the input when nothing better is known).
pub fn locate_error(text: &str, message: &str) -> Range<usize> {
    let tokens = lex(text);
    if let Some(t) = tokens.iter().find(|t| t.kind == Kind::Error) {
        return t.span.clone();
    }
    if let Some(span) = first_unmatched(text, &tokens) {
        return span;
    }
    for quoted in quoted_words(message) {
        let significant = tokens.iter().filter(|t| !matches!(t.kind, Kind::Whitespace | Kind::Comment));
        if let Some(t) = significant.clone().find(|t| text.get(t.span.clone()) == Some(quoted)) {
            return t.span.clone();
        }
    }
    let end = text.trim_end().len();
    end..end
}

/// Words the message quotes (`'x'`, `"x"`) or names after a final colon (`unknown function: foo`).
fn quoted_words(message: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for q in ['\'', '"'] {
        let parts: Vec<&str> = message.split(q).collect();
        // Odd parts sit between quotes, if a closing quote follows.
        for (i, inside) in parts.iter().enumerate() {
            if i % 2 == 1 && i + 1 < parts.len() && !inside.trim().is_empty() {
                out.push(inside.trim());
            }
        }
    }
    if let Some((_, last)) = message.rsplit_once(": ") {
        if !last.trim().is_empty() && !last.contains(' ') {
            out.push(last.trim());
        }
    }
    out
}

/// One run of text in the mirror and the classes it is drawn with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub range: Range<usize>,
    pub class: String,
}

/// The mirror's content: segments before the error mark, inside it, and after it. Without an
/// error, everything is in `before`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mirror {
    pub before: Vec<Segment>,
    pub error: Option<Vec<Segment>>,
    pub after: Vec<Segment>,
}

/// The mirror of `text` with the caret at byte `caret` and an optional error range.
pub fn mirror(text: &str, caret: usize, error: Option<Range<usize>>) -> Mirror {
    let tokens = lex(text);
    let pairs = pair_brackets(text, &tokens);
    let partner = |i: usize| pairs.get(i).copied().unwrap_or(Bracket::NotABracket);
    // The bracket just before the caret wins over the one just after it.
    let at_caret = tokens
        .iter()
        .position(|t| t.kind == Kind::Bracket && t.span.end == caret)
        .or_else(|| tokens.iter().position(|t| t.kind == Kind::Bracket && t.span.start == caret));
    let matched: Vec<usize> = match at_caret.map(|i| (i, partner(i))) {
        Some((i, Bracket::Pair(j))) => vec![i, j],
        _ => Vec::new(),
    };

    // Cut tokens at the error's edges so the mark wraps whole segments.
    let error = error.map(|e| {
        let start = floor_boundary(text, e.start);
        start..floor_boundary(text, e.end).max(start)
    });
    let mut out = Mirror::default();
    for (i, t) in tokens.iter().enumerate() {
        let mut class = class(t.kind).unwrap_or("").to_string();
        if t.kind == Kind::Bracket {
            if matched.contains(&i) {
                class.push_str(" match");
            } else if partner(i) == Bracket::Unmatched {
                class.push_str(" unmatched");
            }
        }
        let cuts =
            error.iter().flat_map(|e| [e.start, e.end]).filter(|&c| c > t.span.start && c < t.span.end);
        let mut edges: Vec<usize> = std::iter::once(t.span.start).chain(cuts).chain([t.span.end]).collect();
        edges.dedup();
        for w in edges.windows(2) {
            let seg = Segment { range: w[0]..w[1], class: class.clone() };
            match &error {
                Some(e) if seg.range.start >= e.end => out.after.push(seg),
                Some(e) if seg.range.start >= e.start => out.error.get_or_insert_with(Vec::new).push(seg),
                _ => out.before.push(seg),
            }
        }
    }
    if error.is_some() && out.error.is_none() {
        out.error = Some(Vec::new());
    }
    out
}

/// The mirror as HTML: a `<span class="tok-…">` per token (whitespace bare), the error mark (`data-testid="error-mark"`,
/// titled with `message`) around its range, and a trailing space that gives a final newline its
/// line as the textarea does. One string set as `innerHTML` keeps the main module smaller than a
/// view per token would.
pub fn mirror_html(text: &str, caret: usize, error: Option<(Range<usize>, &str)>) -> String {
    let (range, message) = error.unzip();
    let m = mirror(text, caret, range);
    let mut out = String::with_capacity(text.len() * 4);
    let spans = |out: &mut String, segs: &[Segment]| {
        for s in segs {
            if s.class.is_empty() {
                escape_into(out, text.get(s.range.clone()).unwrap_or(""));
                continue;
            }
            out.push_str("<span class=\"");
            out.push_str(&s.class);
            out.push_str("\">");
            escape_into(out, text.get(s.range.clone()).unwrap_or(""));
            out.push_str("</span>");
        }
    };
    spans(&mut out, &m.before);
    if let Some(segs) = &m.error {
        // An empty mark (the end of the input) underlines one blank that takes no room.
        let class = if segs.is_empty() { "error-mark at-end" } else { "error-mark" };
        out.push_str("<span class=\"");
        out.push_str(class);
        out.push_str("\" data-testid=\"error-mark\" title=\"");
        escape_into(&mut out, message.unwrap_or(""));
        out.push_str("\">");
        spans(&mut out, segs);
        if segs.is_empty() {
            out.push('\u{a0}');
        }
        out.push_str("</span>");
    }
    spans(&mut out, &m.after);
    out.push(' ');
    out
}

/// Appends `s` with HTML's special characters escaped (safe in text and in quoted attributes).
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// `at` moved down to a char boundary of `text` (and into it).
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(text: &'a str, segs: &[Segment]) -> Vec<(&'a str, String)> {
        segs.iter().map(|s| (&text[s.range.clone()], s.class.clone())).collect()
    }

    #[test]
    fn highlight_classes() {
        let text = "sum(rate(up[5m]))";
        let got: Vec<(&str, &str)> = highlight(text).into_iter().map(|(r, c)| (&text[r], c)).collect();
        assert!(got.contains(&("rate", "tok-function")));
        assert!(got.contains(&("5m", "tok-duration")));
        assert!(got.contains(&("sum", "tok-aggregation")));
        assert!(got.contains(&("up", "tok-metric")));
    }

    #[test]
    fn brackets_pair_and_mismatch() {
        let text = "a([)]";
        let tokens = lex(text);
        use Bracket::*;
        assert_eq!(pair_brackets(text, &tokens), vec![NotABracket, Pair(3), Unmatched, Pair(1), Unmatched]);
        assert_eq!(unmatched_bracket("sum(up"), Some(3..4));
        assert_eq!(unmatched_bracket("sum(up)"), None);
    }

    #[test]
    fn caret_marks_the_pair() {
        let text = "sum(up)";
        let m = mirror(text, 7, None);
        let marked: Vec<_> =
            texts(text, &m.before).into_iter().filter(|(_, c)| c.contains("match")).collect();
        assert_eq!(marked.len(), 2);
        assert!(marked.iter().all(|(_, c)| c == "tok-bracket match"));
        let m = mirror("sum(up", 2, None);
        assert!(m.before.iter().any(|s| s.class == "tok-bracket unmatched"));
    }

    #[test]
    fn errors_are_placed() {
        assert_eq!(locate_error("sum(up", "unexpected end of input"), 3..4);
        assert_eq!(locate_error("up{a=\"x}", "unterminated quoted string \""), 5..8);
        assert_eq!(locate_error("up ! 1", "unexpected character after '!': ' '"), 3..4);
        assert_eq!(locate_error("foo(up)", "unknown function: foo"), 0..3);
        assert_eq!(
            locate_error("rate(up) + 1 ", "expected type matrix in call to function 'rate', got vector"),
            0..4
        );
        assert_eq!(locate_error("up +", "unexpected end of input"), 4..4);
    }

    #[test]
    fn the_error_mark_wraps_its_range() {
        let text = "sum(up";
        let m = mirror(text, 0, Some(3..4));
        assert_eq!(texts(text, &m.before), vec![("sum", "tok-aggregation".into())]);
        assert_eq!(texts(text, m.error.as_deref().unwrap()), vec![("(", "tok-bracket unmatched".into())]);
        assert_eq!(texts(text, &m.after), vec![("up", "tok-metric".into())]);
        // At the end: an empty mark after everything.
        let m = mirror("up +", 0, Some(4..4));
        assert_eq!(m.error, Some(Vec::new()));
        assert_eq!(m.before.len() + m.after.len(), 3);
        assert!(m.after.is_empty());
        // Cut inside a token, and in the middle of a multi-byte char.
        let text = "ab€cd";
        let m = mirror(text, 0, Some(1..3));
        assert_eq!(texts(text, &m.before), vec![("a", "tok-metric".into())]);
        assert_eq!(texts(text, m.error.as_deref().unwrap()), vec![("b", "tok-metric".into())]);
    }

    #[test]
    fn html_is_escaped_and_marked() {
        let html = mirror_html("up{a=\"<b>&\"} +", 0, Some((14..14, "unexpected \"end\" <x>")));
        assert_eq!(
            html,
            concat!(
                r#"<span class="tok-metric">up</span><span class="tok-bracket">{</span><span class="tok-label">a</span>"#,
                r#"<span class="tok-operator">=</span><span class="tok-string">&quot;&lt;b&gt;&amp;&quot;</span>"#,
                r#"<span class="tok-bracket">}</span> <span class="tok-operator">+</span>"#,
                r#"<span class="error-mark at-end" data-testid="error-mark" title="unexpected &quot;end&quot; &lt;x&gt;">"#,
                "\u{a0}</span> "
            )
        );
        assert_eq!(mirror_html("", 0, None), " ");
    }

    #[test]
    fn utf16_offsets() {
        assert_eq!(byte_offset("a€\u{1F600}b", 0), 0);
        assert_eq!(byte_offset("a€\u{1F600}b", 2), 4);
        assert_eq!(byte_offset("a€\u{1F600}b", 4), 8);
        assert_eq!(byte_offset("a€\u{1F600}b", 3), 8); // inside a surrogate pair: the next char
        assert_eq!(byte_offset("a", 99), 1);
    }
}
