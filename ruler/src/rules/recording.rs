//! Recording rules: the query's result renamed to `record`, with the rule's labels set.

use promapi::Labels;

use super::{RuleError, Sample};

#[derive(Debug, Clone, PartialEq)]
pub struct RecordingRule {
    pub name: String,
    pub expr: String,
    pub labels: Labels,
}

impl RecordingRule {
    /// Turns the query result at `t` into output samples. `limit` 0 means no limit.
    pub fn apply(&self, t: i64, result: Vec<(Labels, f64)>, limit: usize) -> Result<Vec<Sample>, RuleError> {
        let mut out: Vec<Sample> = result
            .into_iter()
            .map(|(mut labels, v)| {
                labels.insert("__name__".into(), self.name.clone());
                for (k, val) in &self.labels {
                    // An empty value removes the label, as in Prometheus' label builder.
                    if val.is_empty() {
                        labels.remove(k);
                    } else {
                        labels.insert(k.clone(), val.clone());
                    }
                }
                Sample { labels, t, v }
            })
            .collect();
        if limit > 0 && out.len() > limit {
            return Err(RuleError::SeriesLimit { limit, got: out.len() });
        }
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        if out.windows(2).any(|w| w[0].labels == w[1].labels) {
            return Err(RuleError::DuplicateRecordingLabelSet);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn renames_and_applies_labels() {
        let rule = RecordingRule {
            name: "job:up:sum".into(),
            expr: "x".into(),
            labels: l(&[("team", "sre"), ("drop", "")]),
        };
        let out =
            rule.apply(5, vec![(l(&[("__name__", "up"), ("job", "a"), ("drop", "x")]), 1.0)], 0).unwrap();
        assert_eq!(
            out,
            vec![Sample {
                labels: l(&[("__name__", "job:up:sum"), ("job", "a"), ("team", "sre")]),
                t: 5,
                v: 1.0
            }]
        );
    }

    #[test]
    fn duplicates_and_limit_are_errors() {
        let rule = RecordingRule { name: "r".into(), expr: "x".into(), labels: Labels::new() };
        let dup = vec![(l(&[("__name__", "a")]), 1.0), (l(&[("__name__", "b")]), 2.0)];
        assert_eq!(rule.apply(0, dup, 0), Err(RuleError::DuplicateRecordingLabelSet));
        let two = vec![(l(&[("i", "1")]), 1.0), (l(&[("i", "2")]), 2.0)];
        assert_eq!(rule.apply(0, two.clone(), 1), Err(RuleError::SeriesLimit { limit: 1, got: 2 }));
        assert_eq!(rule.apply(0, two, 2).unwrap().len(), 2);
    }
}
