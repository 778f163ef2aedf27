//! The embed page's one-line header: which window of time the panel shows, and how often it is
//! refreshed (`refresh=30s` in the page's URL).

use crate::query::navigate::DEFAULT_RANGE_MS;
use crate::query::url_state::{PanelState, Tab};

/// The shortest refresh interval an embed takes: a wiki page full of embeds must not hammer the API.
pub const MIN_REFRESH_MS: i64 = 5_000;

/// The page's `refresh=` interval in milliseconds, at least [`MIN_REFRESH_MS`]; `None` when absent,
/// `0`, `off` or not a duration.
pub fn refresh_ms(search: &str) -> Option<i64> {
    let value = form_urlencoded::parse(search.trim_start_matches('?').as_bytes())
        .find(|(k, _)| k == "refresh")
        .map(|(_, v)| v.into_owned())?;
    let ms = promapi::parse_duration(value.trim())?;
    (ms > 0).then_some(ms.max(MIN_REFRESH_MS))
}

/// The window a panel shows, in words: `last 1h`, `1h to 2026-12-01 10:00:00 UTC`, `now`, `at …`.
pub fn window_text(state: &PanelState) -> String {
    let end = state.end.trim();
    match state.tab {
        Tab::Graph => {
            // An empty Range is the request's default.
            let range = match state.range.trim() {
                "" => promapi::format_duration(DEFAULT_RANGE_MS),
                r => r.to_string(),
            };
            if end.is_empty() {
                format!("last {range}")
            } else {
                format!("{range} to {end} UTC")
            }
        }
        Tab::Table if end.is_empty() => "now".to_string(),
        Tab::Table => format!("at {end} UTC"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PanelDefaults;

    #[test]
    fn refresh_takes_prometheus_durations_with_a_floor() {
        assert_eq!(refresh_ms("?g0.expr=up&refresh=30s"), Some(30_000));
        assert_eq!(refresh_ms("refresh=1m"), Some(60_000));
        assert_eq!(refresh_ms("refresh=1s"), Some(MIN_REFRESH_MS));
        assert_eq!(refresh_ms("refresh=0s"), None);
        assert_eq!(refresh_ms("refresh=off"), None);
        assert_eq!(refresh_ms("g0.expr=up"), None);
    }

    #[test]
    fn the_window_names_range_and_end_or_the_evaluation_time() {
        let mut s = PanelState::new(&PanelDefaults::default());
        s.tab = Tab::Graph;
        s.range = String::new();
        assert_eq!(window_text(&s), "last 1h");
        s.range = "6h".into();
        s.end = "2026-12-01 10:00:00".into();
        assert_eq!(window_text(&s), "6h to 2026-12-01 10:00:00 UTC");
        s.tab = Tab::Table;
        assert_eq!(window_text(&s), "at 2026-12-01 10:00:00 UTC");
        s.end = String::new();
        assert_eq!(window_text(&s), "now");
    }
}
