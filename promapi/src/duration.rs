//! Prometheus durations (`1h30m`, `5m`, `500ms`, `0s`), as rule files and the API write them.

/// Units longest first, in milliseconds. A duration lists units in this order, each at most once.
const UNITS: [(&str, i64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parses a Prometheus duration into milliseconds. `0` alone is zero; otherwise every number needs a
/// unit, units go from longest to shortest, and no unit repeats (as Prometheus' `model.ParseDuration`).
pub fn parse_duration(s: &str) -> Option<i64> {
    if s == "0" {
        return Some(0);
    }
    if s.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut rest = s;
    let mut last_unit = 0usize;
    let mut first = true;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        // "ms" must win over "m".
        let (idx, (unit, ms)) = UNITS
            .iter()
            .enumerate()
            .filter(|(_, (u, _))| rest.starts_with(u))
            .max_by_key(|(_, (u, _))| u.len())?;
        if !first && idx <= last_unit {
            return None;
        }
        first = false;
        last_unit = idx;
        total = total.checked_add(n.checked_mul(*ms)?)?;
        rest = &rest[unit.len()..];
    }
    Some(total)
}

/// Formats milliseconds as the shortest Prometheus duration (`5400000` → `1h30m`, `0` → `0s`).
pub fn format_duration(ms: i64) -> String {
    if ms <= 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, len) in UNITS {
        if rest >= len {
            out.push_str(&format!("{}{}", rest / len, unit));
            rest %= len;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_prometheus() {
        let cases = [
            ("0", Some(0)),
            ("0s", Some(0)),
            ("1h", Some(3_600_000)),
            ("1h30m", Some(5_400_000)),
            ("500ms", Some(500)),
            ("1m500ms", Some(60_500)),
            ("2d", Some(172_800_000)),
            ("1y", Some(31_536_000_000)),
            ("", None),
            ("90", None),
            ("1.5h", None),
            ("-1h", None),
            ("1m1h", None),
            ("1h1h", None),
            ("1x", None),
            (" 1h", None),
            ("99999999999999999999y", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_duration(input), want, "{input:?}");
        }
    }

    #[test]
    fn round_trips() {
        for ms in [0, 1, 999, 1000, 90_000, 3_600_000, 5_400_000, 86_401_000, 604_800_000] {
            assert_eq!(parse_duration(&format_duration(ms)), Some(ms), "{ms}");
        }
    }
}
