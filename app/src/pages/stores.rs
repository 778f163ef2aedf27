//! The Stores page and the panels' store filter, from the Thanos Querier's `/api/v1/stores`.

use promapi::stores::{StoreStatus, StoresData};
use promapi::Labels;

use crate::format::series_name;
use crate::pages::rules::{instant, last_evaluation};
use crate::time::format_time;

/// Component types in the order the page lists them; others follow, alphabetically.
const TYPE_ORDER: [&str; 5] = ["sidecar", "store", "rule", "receive", "query"];

/// The types present, in page order.
pub fn types(data: &StoresData) -> Vec<&str> {
    let rank = |t: &str| TYPE_ORDER.iter().position(|o| *o == t).unwrap_or(TYPE_ORDER.len());
    let mut out: Vec<&str> = data.keys().map(String::as_str).collect();
    out.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    out
}

/// Every endpoint's address, by type then name, each once: what the store filter offers.
pub fn addresses(data: &StoresData) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in types(data) {
        let mut names: Vec<&str> = data[t].iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        for n in names {
            if !out.iter().any(|o| o == n) {
                out.push(n.to_string());
            }
        }
    }
    out
}

/// `UP` while the last check succeeded, else `DOWN`.
pub fn is_up(s: &StoreStatus) -> bool {
    s.last_error.as_deref().is_none_or(str::is_empty)
}

/// A label set as `{name="value", …}`.
pub fn label_set(labels: &Labels) -> String {
    series_name(labels)
}

/// A store's min or max time: `YYYY-MM-DD HH:MM:SS` UTC, or the unbounded ends Thanos marks with the `i64` extremes.
pub fn bound(ms: i64) -> String {
    match ms {
        i64::MIN => "-∞".into(),
        i64::MAX => "+∞".into(),
        // Anything a date cannot hold is shown as the number it is.
        ms if !(-62_135_596_800_000..=253_402_300_799_999).contains(&ms) => ms.to_string(),
        ms => format_time(ms),
    }
}

/// The last check, in words relative to `now_ms`.
pub fn last_check(now_ms: i64, s: &StoreStatus) -> String {
    match s.last_check.as_deref() {
        Some(t) if instant(t).is_some() => last_evaluation(now_ms, t),
        Some(t) => t.to_string(),
        None => "never".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(name: &str, error: Option<&str>) -> StoreStatus {
        StoreStatus {
            name: name.into(),
            last_check: Some("2024-01-02T03:04:05Z".into()),
            last_error: error.map(String::from),
            label_sets: vec![],
            min_time: 0,
            max_time: 0,
        }
    }

    #[test]
    fn types_in_page_order_and_addresses_once() {
        let data = StoresData::from([
            ("receive".into(), vec![store("r:1", None)]),
            ("custom".into(), vec![store("c:1", None)]),
            ("store".into(), vec![store("s:2", None), store("s:1", Some("down"))]),
            ("sidecar".into(), vec![store("s:1", None)]),
        ]);
        assert_eq!(types(&data), ["sidecar", "store", "receive", "custom"]);
        assert_eq!(addresses(&data), ["s:1", "s:2", "r:1", "c:1"]);
    }

    #[test]
    fn health_bounds_and_checks_in_words() {
        assert!(is_up(&store("a", None)) && is_up(&store("a", Some(""))));
        assert!(!is_up(&store("a", Some("rpc error"))));
        assert_eq!(bound(i64::MIN), "-∞");
        assert_eq!(bound(i64::MAX), "+∞");
        assert_eq!(bound(0), "1970-01-01 00:00:00");
        assert_eq!(bound(i64::MAX - 1), (i64::MAX - 1).to_string());
        let now = instant("2024-01-02T03:04:15Z").unwrap();
        assert_eq!(last_check(now, &store("a", None)), last_evaluation(now, "2024-01-02T03:04:05Z"));
        let mut never = store("a", None);
        never.last_check = None;
        assert_eq!(last_check(now, &never), "never");
    }
}
