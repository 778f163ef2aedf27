//! Past queries, most recent first, as the Thanos UI keeps them (50 at most, a JSON list of strings
//! in `localStorage` under `history`; the browser side is `ui::history`).

/// How many past queries are kept.
pub const MAX: usize = 50;

/// `expr` moved (or added) to the front; blank ones are not kept.
pub fn push(history: &mut Vec<String>, expr: &str) {
    let expr = expr.trim();
    if expr.is_empty() {
        return;
    }
    history.retain(|h| h != expr);
    history.insert(0, expr.to_string());
    history.truncate(MAX);
}

/// The stored list; anything unreadable is an empty history, non-strings are skipped.
pub fn decode(json: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Array(items)) => {
            let mut out: Vec<String> = Vec::new();
            for s in items.into_iter().filter_map(|v| v.as_str().map(str::to_string)) {
                if !s.trim().is_empty() && !out.contains(&s) && out.len() < MAX {
                    out.push(s);
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// A Ctrl+↑ (`older`) or Ctrl+↓ step through a history of `len` entries from `at` (`None`: the
/// text being edited; `Some(i)`: entry `i`). Stops at the oldest entry; below the newest is the
/// edited text again.
pub fn recall(at: Option<usize>, len: usize, older: bool) -> Option<usize> {
    match (at, older) {
        (None, true) => (len > 0).then_some(0),
        (Some(i), true) => Some((i + 1).min(len.saturating_sub(1))),
        (None | Some(0), false) => None,
        (Some(i), false) => Some(i - 1),
    }
}

pub fn encode(history: &[String]) -> String {
    serde_json::to_string(history).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_walks_back_to_the_oldest_and_forward_to_the_edited_text() {
        assert_eq!(recall(None, 0, true), None);
        assert_eq!(recall(None, 3, true), Some(0));
        assert_eq!(recall(Some(0), 3, true), Some(1));
        assert_eq!(recall(Some(2), 3, true), Some(2), "stops at the oldest");
        assert_eq!(recall(Some(2), 3, false), Some(1));
        assert_eq!(recall(Some(0), 3, false), None, "back to the edited text");
        assert_eq!(recall(None, 3, false), None);
    }

    #[test]
    fn push_moves_to_front_dedupes_and_caps() {
        let mut h = Vec::new();
        push(&mut h, "a");
        push(&mut h, "b");
        push(&mut h, " a ");
        push(&mut h, "  ");
        assert_eq!(h, ["a", "b"]);
        for i in 0..60 {
            push(&mut h, &format!("q{i}"));
        }
        assert_eq!(h.len(), MAX);
        assert_eq!(h[0], "q59");
    }

    #[test]
    fn round_trip_and_bad_input() {
        let h = vec!["sum(up)".to_string(), "a\"b".to_string()];
        assert_eq!(decode(&encode(&h)), h);
        assert!(decode("nope").is_empty());
        assert!(decode("{\"a\":1}").is_empty());
        assert_eq!(decode("[1, \"x\", \"x\", null]"), ["x"]);
    }
}
