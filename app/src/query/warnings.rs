//! Sorting the API's `warnings` into what a user needs to know.
//!
//! Thanos returns one flat list of strings. PromQL annotations carry a `PromQL info:` or
//! `PromQL warning:` prefix; a store that failed under `partial_response=true` shows up as
//! `fetch series for …`, `receive series from …` or `failed to receive any data in … from …`
//! (`pkg/store/proxy.go`): then the result is missing that store's series.

/// What a warning means for the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningKind {
    /// A store failed: the result is partial.
    StoreFailure,
    /// A series, label or sample limit cut the result.
    Truncated,
    /// A PromQL warning annotation (`PromQL warning: …`).
    Promql,
    /// A PromQL info annotation (`PromQL info: …`): advice, the result is complete.
    PromqlInfo,
    /// Anything else, shown as it came.
    Other,
}

/// Store-failure texts of the Thanos proxy store.
const STORE_FAILURE_MARKERS: [&str; 5] = [
    "fetch series for",
    "receive series from",
    "failed to receive any data",
    "no storeapi",
    "partial response",
];

pub fn classify(warning: &str) -> WarningKind {
    let lower = warning.to_ascii_lowercase();
    if lower.starts_with("promql info:") {
        WarningKind::PromqlInfo
    } else if lower.starts_with("promql warning:") {
        WarningKind::Promql
    } else if STORE_FAILURE_MARKERS.iter().any(|m| lower.contains(m)) {
        WarningKind::StoreFailure
    } else if lower.contains("truncated") || lower.contains("limit exceeded") {
        WarningKind::Truncated
    } else {
        WarningKind::Other
    }
}

/// True when at least one warning says a store's data is missing.
pub fn is_partial(warnings: &[String]) -> bool {
    warnings.iter().any(|w| classify(w) == WarningKind::StoreFailure)
}

/// The sentence shown above a partial result.
pub const PARTIAL_NOTICE: &str =
    "Partial result: at least one store did not answer, so series from it are missing. \
     Turn off \u{201c}Partial response\u{201d} to get an error instead.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_real_thanos_texts() {
        let cases = [
            ("fetch series for {replica=\"b\"} 10.0.0.7:10901: rpc error: code = Unavailable desc = connection refused", WarningKind::StoreFailure),
            ("receive series from Addr: store-1:10901 LabelSets: {a=\"b\"}: rpc error: code = DeadlineExceeded", WarningKind::StoreFailure),
            ("failed to receive any data in 10s from store-2:10901: context canceled", WarningKind::StoreFailure),
            ("PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"up\"", WarningKind::PromqlInfo),
            ("PromQL warning: encountered a mix of histograms and floats for metric name \"x\"", WarningKind::Promql),
            ("results truncated due to limit", WarningKind::Truncated),
            ("something else entirely", WarningKind::Other),
        ];
        for (text, want) in cases {
            assert_eq!(classify(text), want, "{text}");
        }
    }

    #[test]
    fn partial_only_when_a_store_failed() {
        assert!(!is_partial(&[]));
        assert!(!is_partial(&["PromQL info: x".into()]));
        assert!(is_partial(&["PromQL info: x".into(), "fetch series for s: down".into()]));
    }
}
