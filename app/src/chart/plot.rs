//! The graph's data model: a range-query matrix turned into drawable lines, their bounds, and what
//! lies under the pointer. No DOM here; `chart` (wasm only) draws a [`Plot`] on a canvas.

use std::ops::Range;

use promapi::RangeSeries;

use super::axis::Unit;
use crate::format::series_name;
use crate::query::url_state::GraphOptions;
use crate::time::{format_duration, format_time};

/// Line colours, cycled through by series index.
pub const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// CSS colour of series `i`.
pub fn color_css(i: usize) -> String {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    format!("rgb({r},{g},{b})")
}

/// One series to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotSeries {
    pub name: String,
    /// `(unix ms, value)`, finite values only, in time order.
    pub points: Vec<(i64, f64)>,
}

/// Everything the chart draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    pub series: Vec<PlotSeries>,
    /// Time bounds (ms): the query's range.
    pub x: (i64, i64),
    /// Value bounds, padded so lines do not touch the frame.
    pub y: (f64, f64),
    /// The query step (ms); points further apart than this are not joined.
    pub step_ms: i64,
    /// What the values count, for axis labels and read-outs.
    pub unit: Unit,
    /// In a stacked view (linear scale), the top of the stack below each point of each series, for
    /// filling the band between them; empty otherwise.
    pub bases: Vec<Vec<f64>>,
}

/// The series and sample under the pointer.
#[derive(Debug, Clone, PartialEq)]
pub struct Hover {
    pub series: usize,
    pub t: i64,
    pub value: f64,
}

impl Plot {
    /// Builds a plot of `matrix` over `[start, end]` (ms). NaN and ±Inf samples are left out (they
    /// cannot be placed on a linear axis) and leave a gap.
    ///
    /// The unit is that of the series' metric names, or, where functions dropped them, of the names
    /// `expr` mentions.
    pub fn from_matrix(matrix: &[RangeSeries], start: i64, end: i64, step_ms: i64, expr: &str) -> Plot {
        let series: Vec<PlotSeries> = matrix
            .iter()
            .map(|s| PlotSeries {
                name: series_name(&s.metric),
                points: s
                    .values
                    .iter()
                    .filter_map(|p| p.value().filter(|v| v.is_finite()).map(|v| (p.t_millis(), v)))
                    .collect(),
            })
            .collect();
        let y = bounds(&series, false);
        let names: Option<Vec<&str>> =
            matrix.iter().map(|s| s.metric.get("__name__").map(String::as_str)).collect();
        let unit = match names {
            Some(names) if !names.is_empty() => Unit::of_names(names),
            _ => Unit::of_expr(expr),
        };
        Plot { series, x: (start, end.max(start + 1)), y, step_ms: step_ms.max(1), unit, bases: Vec::new() }
    }

    /// The plot as drawn with `opts`: series with `visible[i] == false` lose their points (they keep
    /// their index, hence their colour), then visible ones are stacked (summed in order at equal
    /// timestamps), then mapped to log10 (non-positive values left out). Bounds follow.
    pub fn view(&self, opts: &GraphOptions, visible: &[bool]) -> Plot {
        let mut sums = std::collections::BTreeMap::<i64, f64>::new();
        let fill = opts.stacked && !opts.log_scale;
        let mut bases = Vec::new();
        let series = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut base = Vec::new();
                let points = if !visible.get(i).copied().unwrap_or(true) {
                    vec![]
                } else {
                    s.points
                        .iter()
                        .filter_map(|&(t, v)| {
                            let v = if opts.stacked {
                                let sum = sums.entry(t).or_insert(0.0);
                                if fill {
                                    base.push(*sum);
                                }
                                *sum += v;
                                *sum
                            } else {
                                v
                            };
                            if opts.log_scale {
                                (v > 0.0).then(|| (t, v.log10()))
                            } else {
                                Some((t, v))
                            }
                        })
                        .collect()
                };
                if fill {
                    bases.push(base);
                }
                PlotSeries { name: s.name.clone(), points }
            })
            .collect::<Vec<_>>();
        // A filled stack starts at zero, as its bottom band does.
        let y = bounds(&series, (opts.from_zero || fill) && !opts.log_scale);
        Plot { series, x: self.x, y, step_ms: self.step_ms, unit: self.unit, bases }
    }

    /// The value of `series` at exactly `t`, for read-outs of a stacked or log view.
    pub fn value_at(&self, series: usize, t: i64) -> Option<f64> {
        let pts = &self.series.get(series)?.points;
        let i = pts.binary_search_by_key(&t, |p| p.0).ok()?;
        pts.get(i).map(|p| p.1)
    }

    /// Every series' sample nearest to `t` (within a step): the crosshair read-out.
    pub fn values_at(&self, t: i64) -> Vec<Hover> {
        self.series
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let p = nearest(&s.points, t)?;
                ((p.0 - t).abs() <= self.step_ms).then_some(Hover { series: i, t: p.0, value: p.1 })
            })
            .collect()
    }

    /// The filled band under the run `run` of `series` in a stacked view: its points, then the
    /// stack below them back to the start. `None` when the view is not stacked.
    pub fn band(&self, series: usize, run: Range<usize>) -> Option<Vec<(i64, f64)>> {
        let points = self.series.get(series)?.points.get(run.clone())?;
        let below = self.bases.get(series)?.get(run)?;
        Some(points.iter().copied().chain(points.iter().zip(below).rev().map(|(p, b)| (p.0, *b))).collect())
    }

    /// Runs of points to draw as one line each: a missing step breaks the line, as in Prometheus.
    pub fn segments(&self, series: usize) -> Vec<Range<usize>> {
        let pts = &self.series[series].points;
        let mut out = Vec::new();
        let mut start = 0;
        for i in 1..=pts.len() {
            if i == pts.len() || pts[i].0 - pts[i - 1].0 > self.step_ms + self.step_ms / 2 {
                if start < i {
                    out.push(start..i);
                }
                start = i;
            }
        }
        out
    }

    /// The sample nearest in time to `t` on the series whose value there is closest to `value`.
    pub fn hover(&self, t: i64, value: f64) -> Option<Hover> {
        self.series
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let p = nearest(&s.points, t)?;
                // Only samples within a step of the pointer count: elsewhere the series has a gap.
                ((p.0 - t).abs() <= self.step_ms).then_some((i, p))
            })
            .min_by(|a, b| (a.1 .1 - value).abs().total_cmp(&(b.1 .1 - value).abs()))
            .map(|(series, (t, value))| Hover { series, t, value })
    }
}

/// Value bounds, padded so lines do not touch the frame; with `from_zero` they reach 0, unpadded there.
fn bounds(series: &[PlotSeries], from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (_, v) in series.iter().flat_map(|s| &s.points) {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    if from_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    // A constant, or one with float noise (0.09 ± 1e-17), is drawn flat around its value, not as spikes.
    if hi - lo <= 1e-9 * lo.abs().max(hi.abs()) {
        let mid = lo + (hi - lo) / 2.0;
        let pad = if mid == 0.0 { 1.0 } else { mid.abs() * 0.1 };
        return (mid - pad, mid + pad);
    }
    let pad = (hi - lo) * 0.05;
    let keep = |v: f64| from_zero && v == 0.0;
    (if keep(lo) { lo } else { lo - pad }, if keep(hi) { hi } else { hi + pad })
}

fn nearest(points: &[(i64, f64)], t: i64) -> Option<(i64, f64)> {
    let i = points.partition_point(|p| p.0 < t);
    let after = points.get(i);
    let before = i.checked_sub(1).and_then(|j| points.get(j));
    match (before, after) {
        (Some(b), Some(a)) => Some(if t - b.0 <= a.0 - t { *b } else { *a }),
        (Some(p), None) | (None, Some(p)) => Some(*p),
        (None, None) => None,
    }
}

/// Maps a pixel inside the plotting area `(x0..x1, y0..y1)` to `(time, value)` on axes spanning `x`
/// (ms) and `y`: a plot's bounds, or a heatmap's buckets.
pub fn pixel_to_data(
    x: (i64, i64),
    y: (f64, f64),
    area: ((i32, i32), (i32, i32)),
    px: i32,
    py: i32,
) -> (i64, f64) {
    let ((x0, x1), (y0, y1)) = area;
    let fx = f64::from(px - x0) / f64::from((x1 - x0).max(1));
    let fy = f64::from(y1 - py) / f64::from((y1 - y0).max(1));
    let t = x.0 as f64 + fx * (x.1 - x.0) as f64;
    (t.round() as i64, y.0 + fy * (y.1 - y.0))
}

/// The time range a drag from pixel `a` to `b` selects, as the panel's `(range_input, end_input)`:
/// whole seconds, at least one. `None` for a click or a selection under a second.
pub fn zoom(x: (i64, i64), area_x: (i32, i32), a: i32, b: i32) -> Option<(String, String)> {
    if (a - b).abs() < 4 {
        return None;
    }
    let (x0, x1) = area_x;
    let at = |px: i32| {
        let f = f64::from(px.clamp(x0, x1) - x0) / f64::from((x1 - x0).max(1));
        (x.0 as f64 + f * (x.1 - x.0) as f64).round() as i64
    };
    let (t1, t2) = (at(a.min(b)), at(a.max(b)));
    let end = (t2 as f64 / 1000.0).round() as i64 * 1000;
    let range = ((t2 - t1) as f64 / 1000.0).round() as i64 * 1000;
    (range >= 1000).then(|| (format_duration(range), format_time(end)))
}

/// A zone's UTC offset in ms at an instant (in ms): it changes at daylight-saving switches.
pub type OffsetAt = fn(i64) -> i64;

fn utc(_: i64) -> i64 {
    0
}

/// The offset to show times in, `local_offset` for `local`, else UTC; and the zone's name in read-outs.
pub fn zone(local: bool, local_offset: OffsetAt) -> (OffsetAt, &'static str) {
    if local {
        (local_offset, "local")
    } else {
        (utc, "UTC")
    }
}

/// At most four points per pixel column of a line drawn `columns` pixels wide over `x`: the first,
/// lowest, highest and last of the column, in time order. The line looks the same, and a million points
/// draw as a few thousand.
pub fn decimate(seg: &[(i64, f64)], x: (i64, i64), columns: usize) -> Vec<(i64, f64)> {
    let columns = columns.max(1);
    if seg.len() <= 4 * columns {
        return seg.to_vec();
    }
    let span = (x.1 - x.0).max(1) as f64;
    let column = |t: i64| (((t - x.0) as f64 / span) * columns as f64).floor() as i64;
    let mut out = Vec::with_capacity(4 * columns);
    let mut i = 0;
    while i < seg.len() {
        let c = column(seg[i].0);
        let mut j = i;
        let (mut lo, mut hi) = (i, i);
        while j < seg.len() && column(seg[j].0) == c {
            if seg[j].1 < seg[lo].1 {
                lo = j;
            }
            if seg[j].1 > seg[hi].1 {
                hi = j;
            }
            j += 1;
        }
        let mut keep = [i, lo, hi, j - 1];
        keep.sort_unstable();
        let mut last = usize::MAX;
        for k in keep {
            if k != last {
                out.push(seg[k]);
                last = k;
            }
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use promapi::SamplePair;

    fn series(name: &str, points: &[(f64, &str)]) -> RangeSeries {
        RangeSeries {
            metric: [("__name__".to_string(), name.to_string())].into(),
            values: points.iter().map(|(t, v)| SamplePair(*t, v.to_string())).collect(),
            histograms: vec![],
        }
    }

    #[test]
    fn bounds_skip_non_finite_values_and_pad() {
        let m = vec![series("a", &[(0.0, "1"), (15.0, "NaN"), (30.0, "3"), (45.0, "+Inf")])];
        let p = Plot::from_matrix(&m, 0, 60_000, 15_000, "");
        assert_eq!(p.series[0].points, vec![(0, 1.0), (30_000, 3.0)]);
        assert_eq!(p.y, (0.9, 3.1));
        assert_eq!(p.series[0].name, "a");
    }

    #[test]
    fn flat_and_empty_series_get_a_visible_range() {
        assert_eq!(Plot::from_matrix(&[], 0, 1, 1, "").y, (0.0, 1.0));
        assert_eq!(Plot::from_matrix(&[series("a", &[(0.0, "0")])], 0, 1, 1, "").y, (-1.0, 1.0));
        assert_eq!(Plot::from_matrix(&[series("a", &[(0.0, "10")])], 0, 1, 1, "").y, (9.0, 11.0));
        let noisy =
            series("a", &[(0.0, "0.09"), (15.0, "0.09000000000000001"), (30.0, "0.08999999999999998")]);
        let (lo, hi) = Plot::from_matrix(&[noisy], 0, 30_000, 15_000, "").y;
        assert!((lo - 0.081).abs() < 1e-9 && (hi - 0.099).abs() < 1e-9, "flat around 0.09: {lo} {hi}");
    }

    #[test]
    fn gaps_break_lines() {
        let m = vec![series("a", &[(0.0, "1"), (15.0, "1"), (60.0, "1"), (75.0, "1"), (90.0, "1")])];
        let p = Plot::from_matrix(&m, 0, 90_000, 15_000, "");
        let lens: Vec<usize> = p.segments(0).iter().map(|s| s.len()).collect();
        assert_eq!(lens, vec![2, 3]);
    }

    #[test]
    fn hover_picks_the_series_closest_to_the_pointer() {
        let m = vec![series("low", &[(0.0, "1"), (15.0, "2")]), series("high", &[(0.0, "10"), (15.0, "20")])];
        let p = Plot::from_matrix(&m, 0, 15_000, 15_000, "");
        assert_eq!(p.hover(14_000, 18.0), Some(Hover { series: 1, t: 15_000, value: 20.0 }));
        assert_eq!(p.hover(1_000, 0.0), Some(Hover { series: 0, t: 0, value: 1.0 }));
        assert_eq!(p.hover(100_000, 0.0), None, "no sample within a step");
    }

    #[test]
    fn pixels_map_to_data() {
        let m = vec![series("a", &[(0.0, "0"), (100.0, "10")])];
        let p = Plot::from_matrix(&m, 0, 100_000, 1000, "");
        let area = ((10, 110), (0, 100));
        let (t, v) = pixel_to_data(p.x, p.y, area, 60, 0);
        assert_eq!(t, 50_000);
        assert!((v - p.y.1).abs() < 1e-9);
    }

    #[test]
    fn zones_shift_local_times_only() {
        let t = 1_700_000_000_000;
        let (offset, name) = zone(true, |_| 2 * 3_600_000);
        assert_eq!((offset(t), name), (2 * 3_600_000, "local"));
        let (offset, name) = zone(false, |_| 2 * 3_600_000);
        assert_eq!((offset(t), name), (0, "UTC"));
    }

    fn opts() -> GraphOptions {
        GraphOptions::default()
    }

    #[test]
    fn stacking_sums_visible_series_at_equal_times() {
        let m = vec![
            series("a", &[(0.0, "1"), (15.0, "2")]),
            series("b", &[(0.0, "10"), (30.0, "5")]),
            series("c", &[(0.0, "100"), (15.0, "200")]),
        ];
        let p = Plot::from_matrix(&m, 0, 30_000, 15_000, "");
        let stacked = GraphOptions { stacked: true, ..opts() };
        let v = p.view(&stacked, &[true, true, true]);
        assert_eq!(v.series[1].points, vec![(0, 11.0), (30_000, 5.0)]);
        assert_eq!(v.series[2].points, vec![(0, 111.0), (15_000, 202.0)]);
        // A hidden series is not drawn and not added.
        let v = p.view(&stacked, &[true, false, true]);
        assert!(v.series[1].points.is_empty());
        assert_eq!(v.series[2].points, vec![(0, 101.0), (15_000, 202.0)]);
        // Filled, the stack stands on zero; each band runs from the stack below back along its points.
        assert_eq!(v.y, (0.0, 202.0 + 202.0 * 0.05));
        assert_eq!(v.band(2, 0..2).unwrap(), vec![(0, 101.0), (15_000, 202.0), (15_000, 2.0), (0, 1.0)]);
        assert_eq!(v.band(0, 0..1).unwrap(), vec![(0, 1.0), (0, 0.0)]);
        assert_eq!(p.band(0, 0..1), None, "not stacked");
        // Read-outs use the raw values.
        assert_eq!(p.value_at(2, 15_000), Some(200.0));
        assert_eq!(p.value_at(2, 14_999), None);
        assert_eq!(p.value_at(9, 0), None);
    }

    #[test]
    fn log_scale_skips_non_positive_values() {
        let m = vec![series("a", &[(0.0, "100"), (15.0, "0"), (30.0, "-3"), (45.0, "0.1")])];
        let p = Plot::from_matrix(&m, 0, 45_000, 15_000, "");
        let v = p.view(&GraphOptions { log_scale: true, from_zero: true, ..opts() }, &[]);
        assert_eq!(v.series[0].points.len(), 2);
        assert!(
            (v.series[0].points[0].1 - 2.0).abs() < 1e-12 && (v.series[0].points[1].1 + 1.0).abs() < 1e-12
        );
        assert!((v.y.0 - -1.15).abs() < 1e-9 && (v.y.1 - 2.15).abs() < 1e-9, "{:?}", v.y);
        let all_bad = Plot::from_matrix(&[series("a", &[(0.0, "0")])], 0, 1, 1, "");
        assert_eq!(all_bad.view(&GraphOptions { log_scale: true, ..opts() }, &[]).y, (0.0, 1.0));
    }

    #[test]
    fn y_from_zero_includes_zero_without_padding_below() {
        let m = vec![series("a", &[(0.0, "10"), (15.0, "20")])];
        let p = Plot::from_matrix(&m, 0, 15_000, 15_000, "");
        assert_eq!(p.view(&GraphOptions { from_zero: true, ..opts() }, &[]).y, (0.0, 21.0));
        assert_eq!(p.view(&opts(), &[]).y, (9.5, 20.5));
        let neg = Plot::from_matrix(&[series("a", &[(0.0, "-10"), (15.0, "-20")])], 0, 15_000, 15_000, "");
        assert_eq!(neg.view(&GraphOptions { from_zero: true, ..opts() }, &[]).y, (-21.0, 0.0));
    }

    #[test]
    fn crosshair_lists_every_series_near_the_time() {
        let m = vec![series("a", &[(0.0, "1"), (15.0, "2")]), series("b", &[(60.0, "5")])];
        let p = Plot::from_matrix(&m, 0, 60_000, 15_000, "");
        assert_eq!(p.values_at(14_000), vec![Hover { series: 0, t: 15_000, value: 2.0 }]);
        assert_eq!(p.values_at(50_000).len(), 1);
        assert!(p.view(&opts(), &[true, false]).values_at(50_000).is_empty());
    }

    #[test]
    fn a_drag_becomes_range_and_end() {
        // 100 px for 100 s starting at 1_700_000_000 s.
        let x = (1_700_000_000_000, 1_700_000_100_000);
        assert_eq!(zoom(x, (10, 110), 30, 70), Some(("40s".to_string(), "2023-11-14 22:14:20".to_string())));
        assert_eq!(zoom(x, (10, 110), 70, 30), zoom(x, (10, 110), 30, 70), "either direction");
        assert_eq!(
            zoom(x, (10, 110), -50, 500),
            Some(("1m40s".to_string(), "2023-11-14 22:15:00".to_string())),
            "clamped to the plot"
        );
        assert_eq!(zoom(x, (10, 110), 30, 32), None, "a click");
        assert_eq!(zoom((0, 1000), (10, 110), 10, 40), None, "under a second");
    }

    #[test]
    fn decimation_keeps_each_columns_extremes_and_ends() {
        let seg: Vec<(i64, f64)> = (0..100_000).map(|i| (i, ((i * 7919) % 1000) as f64)).collect();
        let out = decimate(&seg, (0, 100_000), 500);
        assert!(out.len() <= 2_000, "{}", out.len());
        assert_eq!(out.first(), seg.first());
        assert_eq!(out.last(), seg.last());
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0), "time order");
        // Every column keeps its minimum and maximum.
        for c in 0..500i64 {
            let col: Vec<f64> = seg.iter().filter(|p| p.0 / 200 == c).map(|p| p.1).collect();
            let kept: Vec<f64> = out.iter().filter(|p| p.0 / 200 == c).map(|p| p.1).collect();
            let (lo, hi) = col.iter().fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
            assert!(kept.contains(&lo) && kept.contains(&hi), "column {c}");
        }
        let short = &seg[..100];
        assert_eq!(decimate(short, (0, 100_000), 500), short.to_vec(), "few points: unchanged");
        assert!(decimate(&[], (0, 1), 0).is_empty());
    }
}
