//! Classic histograms as a heatmap: the `_bucket` series of a range result grouped by their labels
//! without `le`, turned from cumulative counts into one count per bucket at each step.

use std::collections::BTreeMap;

use promapi::query::parse_value;
use promapi::{Labels, RangeSeries};

use crate::format::series_name;

/// One histogram over time: `cells[bucket][time]`, `None` where a sample is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// The series' name without `le`.
    pub name: String,
    /// Upper bounds, ascending (`+Inf` last), as written in `le`.
    pub buckets: Vec<String>,
    /// Sample times (ms), ascending.
    pub times: Vec<i64>,
    pub cells: Vec<Vec<Option<f64>>>,
    /// The largest cell, for the colour scale (0 when all are empty).
    pub max: f64,
}

/// One cell under the pointer: the bucket's bounds `(lower, upper]`, the sample's time and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub lower: String,
    pub upper: String,
    pub t: i64,
    pub value: f64,
}

impl Heatmap {
    /// The cell at time `t` (ms) and height `y` (bucket `i` spans `i..i+1`, as drawn), if it has a
    /// sample. A sample at `t` covers the `step_ms` before it.
    pub fn cell_at(&self, t: i64, y: f64, step_ms: i64) -> Option<Cell> {
        if y.is_nan() || y < 0.0 {
            return None;
        }
        let bucket = y.floor() as usize;
        let upper = self.buckets.get(bucket)?.clone();
        // The first sample at or after t, if t lies in the step before it.
        let k = self.times.partition_point(|s| *s < t);
        let at = *self.times.get(k)?;
        if at - t > step_ms.max(1) {
            return None;
        }
        let value = self.cells.get(bucket)?.get(k).copied().flatten()?;
        let lower = match bucket.checked_sub(1) {
            Some(b) => self.buckets[b].clone(),
            None => "0".to_string(),
        };
        Some(Cell { lower, upper, t: at, value })
    }
}

/// The histograms in `matrix`, in label order. Series without a parseable `le` are ignored, so a
/// result without buckets gives none.
pub fn heatmaps(matrix: &[RangeSeries]) -> Vec<Heatmap> {
    // labels without le → (le bound, le text, series)
    let mut groups: BTreeMap<Labels, Vec<(f64, &str, &RangeSeries)>> = BTreeMap::new();
    for s in matrix {
        let Some(le) = s.metric.get("le") else { continue };
        let Some(bound) = parse_value(le.trim()).filter(|b| !b.is_nan()) else {
            continue;
        };
        let mut rest = s.metric.clone();
        rest.remove("le");
        groups.entry(rest).or_default().push((bound, le, s));
    }
    groups.into_iter().map(|(labels, mut buckets)| build(&labels, &mut buckets)).collect()
}

fn build(labels: &Labels, buckets: &mut [(f64, &str, &RangeSeries)]) -> Heatmap {
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut times: Vec<i64> = buckets.iter().flat_map(|b| b.2.values.iter().map(|p| p.t_millis())).collect();
    times.sort_unstable();
    times.dedup();
    // Cumulative counts on the common time grid.
    let cumulative: Vec<Vec<Option<f64>>> = buckets
        .iter()
        .map(|b| {
            let by_t: BTreeMap<i64, f64> =
                b.2.values
                    .iter()
                    .filter_map(|p| Some((p.t_millis(), p.value().filter(|v| v.is_finite())?)))
                    .collect();
            times.iter().map(|t| by_t.get(t).copied()).collect()
        })
        .collect();
    let mut max = 0.0f64;
    let cells: Vec<Vec<Option<f64>>> = (0..buckets.len())
        .map(|i| {
            (0..times.len())
                .map(|k| {
                    let here = cumulative.get(i)?.get(k).copied().flatten()?;
                    let below = match i.checked_sub(1) {
                        None => 0.0,
                        Some(j) => cumulative.get(j)?.get(k).copied().flatten()?,
                    };
                    // A lower bucket above a higher one (scrapes out of step) is not a negative count.
                    let count = (here - below).max(0.0);
                    max = max.max(count);
                    Some(count)
                })
                .collect()
        })
        .collect();
    Heatmap {
        name: series_name(labels),
        buckets: buckets.iter().map(|b| b.1.to_string()).collect(),
        times,
        cells,
        max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promapi::SamplePair;

    fn bucket(le: &str, job: &str, points: &[(f64, &str)]) -> RangeSeries {
        RangeSeries {
            metric: [("__name__", "h_bucket"), ("le", le), ("job", job)]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            values: points.iter().map(|(t, v)| SamplePair(*t, v.to_string())).collect(),
            histograms: vec![],
        }
    }

    #[test]
    fn cumulative_counts_become_bucket_counts_sorted_by_le() {
        let m = vec![
            bucket("+Inf", "a", &[(0.0, "10"), (15.0, "20")]),
            bucket("0.5", "a", &[(0.0, "6"), (15.0, "8")]),
            bucket("0.05", "a", &[(0.0, "1"), (15.0, "1")]),
            bucket("10", "a", &[(0.0, "9"), (15.0, "20")]),
        ];
        let h = &heatmaps(&m)[0];
        assert_eq!(h.name, r#"h_bucket{job="a"}"#);
        assert_eq!(h.buckets, vec!["0.05", "0.5", "10", "+Inf"]);
        assert_eq!(h.times, vec![0, 15_000]);
        let want = [[1.0, 1.0], [5.0, 7.0], [3.0, 12.0], [1.0, 0.0]];
        for (row, want) in h.cells.iter().zip(want) {
            assert_eq!(row, &want.map(Some).to_vec());
        }
        assert_eq!(h.max, 12.0);
    }

    #[test]
    fn the_cell_under_the_pointer_names_its_bucket_bounds_time_and_value() {
        let m = vec![
            bucket("0.5", "a", &[(0.0, "6"), (15.0, "8")]),
            bucket("0.05", "a", &[(0.0, "1"), (15.0, "1")]),
            bucket("+Inf", "a", &[(0.0, "10"), (15.0, "20")]),
        ];
        let h = &heatmaps(&m)[0];
        // Just before the second sample, in the middle bucket: (0.05, 0.5] at 15 s holds 7.
        let c = h.cell_at(14_000, 1.5, 15_000).unwrap();
        assert_eq!(c, Cell { lower: "0.05".into(), upper: "0.5".into(), t: 15_000, value: 7.0 });
        // The lowest bucket starts at 0; the top one is unbounded.
        assert_eq!(h.cell_at(0, 0.2, 15_000).unwrap().lower, "0");
        assert_eq!(h.cell_at(0, 2.9, 15_000).unwrap().upper, "+Inf");
        // Outside: above the top bucket, below 0, after the last sample, NaN.
        assert_eq!(h.cell_at(0, 3.0, 15_000), None);
        assert_eq!(h.cell_at(0, -0.1, 15_000), None);
        assert_eq!(h.cell_at(16_000, 1.0, 15_000), None);
        assert_eq!(h.cell_at(0, f64::NAN, 15_000), None);
    }

    #[test]
    fn groups_by_labels_without_le_and_ignores_other_series() {
        let mut plain = bucket("1", "a", &[(0.0, "1")]);
        plain.metric.remove("le");
        let m = vec![
            bucket("1", "b", &[(0.0, "1")]),
            bucket("1", "a", &[(0.0, "2")]),
            plain,
            bucket("x", "a", &[]),
        ];
        let hs = heatmaps(&m);
        let names: Vec<&str> = hs.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, vec![r#"h_bucket{job="a"}"#, r#"h_bucket{job="b"}"#]);
        assert!(heatmaps(&[]).is_empty());
    }

    #[test]
    fn gaps_leave_empty_cells_and_never_negative_counts() {
        let m = vec![
            bucket("1", "a", &[(0.0, "5"), (30.0, "NaN")]),
            bucket("2", "a", &[(0.0, "4"), (15.0, "6"), (30.0, "7")]),
        ];
        let h = &heatmaps(&m)[0];
        assert_eq!(h.times, vec![0, 15_000, 30_000]);
        assert_eq!(h.cells[0], vec![Some(5.0), None, None]);
        assert_eq!(h.cells[1], vec![Some(0.0), None, None], "no lower bucket → unknown");
        assert_eq!(h.max, 5.0);
    }
}
