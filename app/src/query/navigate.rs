//! The graph's time controls as steps on the panel's Range and End fields: zoom out (twice the
//! range, same end) and ◀ / ▶ (half a range earlier or later). An end at or past now, or so close
//! to it that the window would differ by less than a twentieth of its width, is "now" (an empty
//! End): ◀ then ▶ returns to the live view although the clock moved on meanwhile.

use crate::time::{format_duration, format_time, parse_duration, parse_time};

/// What an empty Range field means.
pub const DEFAULT_RANGE_MS: i64 = 3_600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    ZoomOut,
    Earlier,
    Later,
}

/// The Range and End texts after `step`, from the fields' texts at `now_ms`; `None` while a field
/// cannot be read (its error is shown already).
pub fn step(range: &str, end: &str, now_ms: i64, step: Step) -> Option<(String, String)> {
    let range_ms = match range.trim() {
        "" => DEFAULT_RANGE_MS,
        r => parse_duration(r)?,
    };
    let end_ms = match end.trim() {
        "" => None,
        e => Some(parse_time(e)?),
    };
    let at = |ms: i64| if ms >= now_ms - range_ms / 20 { String::new() } else { format_time(ms) };
    Some(match step {
        Step::ZoomOut => (format_duration(range_ms * 2), end.trim().to_string()),
        Step::Earlier => (range.trim().to_string(), at(end_ms.unwrap_or(now_ms) - range_ms / 2)),
        Step::Later => (range.trim().to_string(), end_ms.map(|e| at(e + range_ms / 2)).unwrap_or_default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_602_400_000; // 2026-12-07 00:13:20 UTC

    #[test]
    fn steps_on_the_range_and_end_fields() {
        assert_eq!(step("1h", "", NOW, Step::ZoomOut), Some(("2h".into(), String::new())));
        assert_eq!(step("", "", NOW, Step::ZoomOut), Some(("2h".into(), String::new())), "empty: 1h");
        assert_eq!(
            step("1h", "", NOW, Step::Earlier),
            Some(("1h".into(), "2026-12-06 23:43:20".into())),
            "now minus half an hour"
        );
        let earlier = "2026-12-06 23:43:20";
        assert_eq!(
            step("1h", earlier, NOW, Step::Earlier),
            Some(("1h".into(), "2026-12-06 23:13:20".into()))
        );
        assert_eq!(step("1h", earlier, NOW, Step::Later), Some(("1h".into(), String::new())), "back to now");
        assert_eq!(
            step("2h", "2026-12-06 20:00:00", NOW, Step::Later),
            Some(("2h".into(), "2026-12-06 21:00:00".into()))
        );
        assert_eq!(step("1h", "", NOW, Step::Later), Some(("1h".into(), String::new())), "never past now");
        // ◀ a while ago, then ▶: the clock moved on by less than a twentieth of the range.
        assert_eq!(
            step("2h", "2026-12-06 23:13:20", NOW + 60_000, Step::Later),
            Some(("2h".into(), String::new()))
        );
        assert_eq!(step("soon", "", NOW, Step::ZoomOut), None);
        assert_eq!(step("1h", "yesterday", NOW, Step::Earlier), None);
    }
}
