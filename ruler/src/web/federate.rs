//! `/federate`: [`MemorySink`] keeps the latest stored sample of every series the rules produce, served
//! in the Prometheus text format (as Prometheus serves its own) for the series a [`Selector`] picks.

use std::collections::BTreeMap;
use std::sync::RwLock;

use promapi::Labels;
use promql_parser::label::Matcher;
use promql_parser::parser::{self, Expr};

use crate::rules::Sample;
use crate::rules::STALE_NAN;

/// The latest sample of each series; a staleness marker removes the series.
#[derive(Debug, Default)]
pub struct MemorySink {
    latest: RwLock<BTreeMap<Labels, (i64, f64)>>,
}

impl MemorySink {
    /// Keeps the samples of one group evaluation, in order.
    pub fn append(&self, samples: &[Sample]) {
        let mut latest = self.latest.write().unwrap();
        for s in samples {
            if s.v.to_bits() == STALE_NAN {
                latest.remove(&s.labels);
            } else {
                latest.insert(s.labels.clone(), (s.t, s.v));
            }
        }
    }
}

/// One `match[]` selector of `/federate`.
#[derive(Debug)]
pub struct Selector {
    name: Option<String>,
    /// Any group matching selects (`or` inside braces); one group without `or`.
    groups: Vec<Vec<Matcher>>,
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, String> {
        match parser::parse(text).map_err(|e| format!("{text:?}: {e}"))? {
            Expr::VectorSelector(v) => {
                let mut groups = vec![v.matchers.matchers];
                groups.extend(v.matchers.or_matchers);
                Ok(Selector { name: v.name, groups })
            }
            _ => Err(format!("{text:?}: not a series selector")),
        }
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        let get = |k: &str| labels.get(k).map(String::as_str).unwrap_or("");
        self.name.as_ref().is_none_or(|n| get("__name__") == n)
            && self.groups.iter().any(|g| g.iter().all(|m| m.is_match(get(&m.name))))
    }
}

impl MemorySink {
    /// The series any of `selectors` selects, with `external` labels added where a series lacks
    /// them, in the text exposition format (untyped, with timestamps).
    pub fn federate(&self, selectors: &[Selector], external: &Labels) -> String {
        let mut out = String::new();
        for (labels, (t, v)) in self.latest.read().unwrap().iter() {
            if !selectors.iter().any(|s| s.matches(labels)) {
                continue;
            }
            let mut all = labels.clone();
            for (k, v) in external {
                all.entry(k.clone()).or_insert_with(|| v.clone());
            }
            let name = all.remove("__name__").unwrap_or_default();
            let pairs: Vec<String> = all.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
            out += &format!("{name}{{{}}} {} {t}\n", pairs.join(","), promapi::query::format_value(*v));
        }
        out
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(pairs: &[(&str, &str)], t: i64, v: f64) -> Sample {
        Sample { labels: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), t, v }
    }

    #[test]
    fn latest_samples_stale_markers_and_selectors() {
        let sink = MemorySink::default();
        sink.append(&[
            sample(&[("__name__", "job:up:sum"), ("job", "api")], 1_000, 1.0),
            sample(&[("__name__", "job:up:sum"), ("job", "db")], 1_000, 2.0),
            sample(&[("__name__", "other"), ("q", "a\"b")], 1_000, 0.5),
        ]);
        sink.append(&[
            sample(&[("__name__", "job:up:sum"), ("job", "api")], 2_000, 3.0),
            sample(&[("__name__", "job:up:sum"), ("job", "db")], 2_000, f64::from_bits(STALE_NAN)),
        ]);
        let ext: Labels =
            [("replica".to_string(), "a".to_string()), ("job".to_string(), "ignored".to_string())].into();
        let sel = |s: &str| vec![Selector::parse(s).unwrap()];
        assert_eq!(sink.federate(&sel("job:up:sum"), &ext), "job:up:sum{job=\"api\",replica=\"a\"} 3 2000\n");
        assert_eq!(sink.federate(&sel("{q=~\"a.*\"}"), &Labels::new()), "other{q=\"a\\\"b\"} 0.5 1000\n");
        assert_eq!(sink.federate(&sel("{__name__=~\".+\", job=\"nope\"}"), &Labels::new()), "");
        assert!(Selector::parse("sum(x)").unwrap_err().contains("not a series selector"));
        assert!(Selector::parse("x{").is_err());
    }
}
