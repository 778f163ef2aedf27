//! Whether the browser's clock is off from the server's: "now" and relative times would be wrong.
//! The server's time comes from the `Date` header of a query response (whole seconds).

use crate::time::{format_duration, parse_time};

/// Larger differences are shown, as in the Thanos and Prometheus UIs.
pub const MAX_DRIFT_MS: i64 = 30_000;

/// Parses an HTTP date in IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`), the form servers send.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let mut parts = s.split_once(", ")?.1.split(' ');
    let (day, month, year, time, zone) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if zone != "GMT" || parts.next().is_some() || day.len() != 2 || year.len() != 4 {
        return None;
    }
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    parse_time(&format!("{year}-{month:02}-{day} {time}"))
}

/// A warning when `browser_ms` and `server_ms` (both taken when the answer arrived) differ by more
/// than [`MAX_DRIFT_MS`]. The header is truncated to the second, so the server's time is taken
/// half a second later.
pub fn drift_warning(browser_ms: i64, server_ms: i64) -> Option<String> {
    let drift = browser_ms - (server_ms + 500);
    if drift.abs() <= MAX_DRIFT_MS {
        return None;
    }
    let by = format_duration((drift.abs() + 500) / 1000 * 1000);
    let way = if drift > 0 { "ahead of" } else { "behind" };
    Some(format!("Your browser's clock is {by} {way} the server's: \"now\" and the graphs' time ranges are off by as much."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_parse() {
        assert_eq!(parse_http_date("Tue, 14 Nov 2023 22:13:20 GMT"), Some(1_700_000_000_000));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777_000));
        for bad in [
            "",
            "Tue, 14 Nov 2023 22:13:20 UTC",
            "Tue, 14 Foo 2023 22:13:20 GMT",
            "14 Nov 2023 22:13:20 GMT",
            "Tuesday, 14-Nov-23 22:13:20 GMT",
            "Tue, 14 Nov 2023 22:13:20 GMT x",
            "Tue, 4 Nov 2023 22:13:20 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn drift_beyond_thirty_seconds_is_reported() {
        let server = 1_700_000_000_000;
        assert_eq!(drift_warning(server + 500, server), None);
        assert_eq!(drift_warning(server + 30_500, server), None);
        let ahead = drift_warning(server + 45_500, server).unwrap_or_default();
        assert!(ahead.starts_with("Your browser's clock is 45s ahead of the server's"), "{ahead}");
        let behind = drift_warning(server - 3_599_500, server).unwrap_or_default();
        assert!(behind.contains("is 1h behind the server's"), "{behind}");
    }
}
