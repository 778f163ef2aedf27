//! Durations, instants and the automatic step, in the formats Thanos and Prometheus UIs use.
//!
//! Times are unix milliseconds (`i64`) inside the console; the API gets seconds.

pub use promapi::time::civil;

/// Steps the Thanos UI rounds an automatic step up to, so that query-frontend caches hit (seconds).
const CACHE_FRIENDLY_STEPS: [i64; 17] =
    [1, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200];

/// How many points an automatic step aims for across the range (Thanos: range / 250).
const AUTO_STEP_POINTS: i64 = 250;

/// Parses a duration typed into the console: a Prometheus duration (`1h`, `1h30m`, `500ms`) or plain
/// seconds (`90`, `0.5`), trimmed. Zero, negative and malformed input give `None`.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        let ms = (secs * 1000.0).round();
        return (ms.is_finite() && (1.0..1e15).contains(&ms)).then_some(ms as i64);
    }
    promapi::parse_duration(s).filter(|ms| *ms > 0)
}

pub use promapi::format_duration;

/// The automatic step for a range, as the Thanos UI computes it: range/250 (at least 1 s), rounded up
/// to a cache-friendly step. Returns seconds.
pub fn auto_step_seconds(range_ms: i64) -> i64 {
    let raw = (range_ms / (AUTO_STEP_POINTS * 1000)).max(1);
    CACHE_FRIENDLY_STEPS.iter().copied().find(|&s| s >= raw).unwrap_or(raw)
}

pub use promapi::time::parse_time;

/// Formats an instant as `YYYY-MM-DD HH:mm:ss` in UTC (the Thanos UI's `end_input` format).
pub fn format_time(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// The URL's End (UTC, `YYYY-MM-DD HH:mm:ss`) as the End field shows it in a zone `offset` ms ahead
/// of UTC at that instant. Text that is not such a time is shown as it is.
pub fn end_in_zone(utc: &str, offset: impl Fn(i64) -> i64) -> String {
    match parse_time(utc.trim()).filter(|_| is_zoneless(utc)) {
        Some(t) => format_time(t.saturating_add(offset(t))),
        None => utc.to_string(),
    }
}

/// The End field's text, typed in a zone `offset` ms ahead of UTC, as the URL keeps it (UTC).
/// Absolute forms (RFC 3339 with a zone, unix seconds) and `now` are kept as they are.
pub fn end_from_zone(typed: &str, offset: impl Fn(i64) -> i64) -> String {
    match parse_time(typed.trim()).filter(|_| is_zoneless(typed)) {
        // The offset at the wall-clock time itself is right except within a DST change's hour.
        Some(wall) => format_time(wall.saturating_sub(offset(wall))),
        None => typed.to_string(),
    }
}

/// `2026-12-01 10:00:00`: a wall-clock time, with no zone of its own.
fn is_zoneless(text: &str) -> bool {
    let t = text.trim();
    t.len() >= 16
        && t.as_bytes().get(10) == Some(&b' ')
        && t.bytes().all(|b| b.is_ascii_digit() || b"-: .".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_field_shows_and_reads_the_chosen_zone() {
        let two_hours = |_| 2 * 3_600_000;
        assert_eq!(end_in_zone("2026-12-01 10:00:00", two_hours), "2026-12-01 12:00:00");
        assert_eq!(end_from_zone("2026-12-01 12:00:00", two_hours), "2026-12-01 10:00:00");
        assert_eq!(end_from_zone("2026-12-01 00:30:00", two_hours), "2026-11-30 22:30:00");
        // Round trip, and forms that carry their own zone (or none at all) pass unchanged.
        assert_eq!(
            end_from_zone(&end_in_zone("2026-03-29 01:30:00", two_hours), two_hours),
            "2026-03-29 01:30:00"
        );
        for absolute in ["", "now", "2026-12-01T10:00:00Z", "1764583200"] {
            assert_eq!(end_in_zone(absolute, two_hours), absolute);
            assert_eq!(end_from_zone(absolute, two_hours), absolute);
        }
    }

    #[test]
    fn durations_parse() {
        let cases = [
            ("1h", Some(3_600_000)),
            ("1h30m", Some(5_400_000)),
            ("500ms", Some(500)),
            ("2d", Some(172_800_000)),
            ("1w", Some(604_800_000)),
            ("1y", Some(31_536_000_000)),
            ("90", Some(90_000)),
            ("0.5", Some(500)),
            (" 15s ", Some(15_000)),
            ("", None),
            ("0s", None),
            ("-1h", None),
            ("h", None),
            ("1x", None),
            ("1h 30m", None),
            ("99999999999999999999y", None),
            ("NaN", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_duration(input), want, "{input:?}");
        }
    }

    #[test]
    fn durations_round_trip() {
        for ms in [1, 999, 1000, 90_000, 3_600_000, 5_400_000, 86_400_000 + 1000, 604_800_000] {
            assert_eq!(parse_duration(&format_duration(ms)), Some(ms), "{ms}");
        }
        assert_eq!(format_duration(5_400_000), "1h30m");
    }

    #[test]
    fn auto_step_is_range_over_250_rounded_up() {
        assert_eq!(auto_step_seconds(60_000), 1); // 1m → 0.24 s → at least 1 s
        assert_eq!(auto_step_seconds(3_600_000), 15); // 1h → 14.4 s → 14 → 15
        assert_eq!(auto_step_seconds(6 * 3_600_000), 120); // 6h → 86 s → 120
        assert_eq!(auto_step_seconds(86_400_000), 600); // 1d → 345 s → 600
        assert_eq!(auto_step_seconds(365 * 86_400_000), 126_144); // beyond the table: raw
    }

    #[test]
    fn times_parse_in_every_accepted_form() {
        let t = 1_700_000_000_000; // 2023-11-14 22:13:20 UTC
        assert_eq!(parse_time("2023-11-14 22:13:20"), Some(t));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Some(t));
        assert_eq!(parse_time("2023-11-14T23:13:20+01:00"), Some(t));
        assert_eq!(parse_time("2023-11-14T22:13:20.5Z"), Some(t + 500));
        assert_eq!(parse_time("1700000000"), Some(t));
        assert_eq!(parse_time("1700000000.25"), Some(t + 250));
        for bad in [
            "",
            "yesterday",
            "2023-13-01 00:00:00",
            "2023-11-14 22:13",
            "2023-11-14 22:13:20+1",
            "2023-11-14T22:13:20.Z",
            "２０２３-11-14 22:13:20",
        ] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn times_round_trip() {
        for t in [0, 951_782_400_000, 1_700_000_000_000, 4_102_444_800_000, -86_400_000] {
            assert_eq!(parse_time(&format_time(t)), Some(t), "{t}");
        }
        assert_eq!(format_time(1_700_000_000_000), "2023-11-14 22:13:20");
    }
}
