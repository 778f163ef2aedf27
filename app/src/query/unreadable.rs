//! What to say about an answer that is not the API's JSON: a proxy's HTML error page, an empty body,
//! or JSON cut short. Says what came back (content type, the page's title or first line), never
//! the decoder's internals alone.

/// The longest piece of a body quoted back.
const QUOTE_CHARS: usize = 120;

/// Words for an unreadable `body` served as `content_type`, which failed to decode with `error`.
pub fn describe(content_type: Option<&str>, body: &[u8], error: &dyn std::fmt::Display) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "an empty body".into();
    }
    let kind = content_type.map(|c| c.split(';').next().unwrap_or(c).trim().to_string());
    let looks_like_json = text.starts_with('{') || text.starts_with('[');
    if looks_like_json && kind.as_deref().is_none_or(|k| k.contains("json")) {
        return format!("JSON the console cannot read ({error})");
    }
    let what = match kind.as_deref() {
        Some(k) if k.contains("html") => "an HTML page".to_string(),
        Some(k) => format!("{k}, not JSON"),
        None => "an answer without a content type, not JSON".to_string(),
    };
    let quote = title(text).unwrap_or_else(|| text.lines().next().unwrap_or_default().trim().to_string());
    let quote = shorten(&quote);
    format!("{what}: \"{quote}\" (a proxy or load balancer in front of the API may have answered)")
}

/// The text of an HTML page's `<title>`, if it has one.
fn title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    let t = text.get(open_end..close)?.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= QUOTE_CHARS {
        return s.to_string();
    }
    let cut: String = s.chars().take(QUOTE_CHARS).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_came_back() {
        let html = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center></body></html>";
        let e = "expected value at line 1 column 1";
        let got = describe(Some("text/html"), html, &e);
        assert!(got.starts_with("an HTML page: \"502 Bad Gateway\""), "{got}");
        assert!(!got.contains("line 1 column 1"), "no decoder internals for a page: {got}");
        assert_eq!(describe(Some("application/json"), b"  ", &e), "an empty body");
        let cut =
            describe(Some("application/json; charset=utf-8"), b"{\"status\":\"succ", &"EOF while parsing");
        assert_eq!(cut, "JSON the console cannot read (EOF while parsing)");
        let text = describe(
            Some("text/plain; charset=utf-8"),
            b"upstream connect error or disconnect\nreset reason: overflow",
            &e,
        );
        assert_eq!(
            text,
            "text/plain, not JSON: \"upstream connect error or disconnect\" (a proxy or load balancer in front of the API may have answered)"
        );
        let long = "x".repeat(500);
        assert!(describe(None, long.as_bytes(), &e).contains(&format!("{}…", "x".repeat(120))));
        assert!(
            describe(Some("text/html"), "<p>日本".as_bytes(), &e).contains("<p>日本"),
            "no title: the first line"
        );
    }
}
