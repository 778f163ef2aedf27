//! Axis ticks and their labels: values on round 1-2-5 steps with SI prefixes, binary prefixes for
//! bytes and durations for seconds; times on round wall-clock instants, with the date where the day
//! changes.

use crate::time::civil;

/// What a value axis counts, guessed from the metric names (Prometheus' naming conventions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    #[default]
    Plain,
    /// `*_bytes`: KiB, MiB, GiB…
    Bytes,
    /// `*_seconds`: ns, µs, ms, s, m, h, d.
    Seconds,
}

impl Unit {
    /// The unit of a metric name: `_bytes` or `_seconds`, before a counter's or histogram's suffix.
    fn of_name(name: &str) -> Unit {
        let base = ["_total", "_sum", "_bucket"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name);
        if base.ends_with("_bytes") {
            Unit::Bytes
        } else if base.ends_with("_seconds") {
            Unit::Seconds
        } else {
            Unit::Plain
        }
    }

    /// The unit all of `names` share (the series' metric names, or the names an expression
    /// selects); plain when they differ or there are none, or when a name counts (`_count`, `_bucket`
    /// read without `histogram_quantile`: left to the caller).
    pub fn of_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Unit {
        let mut units = names.into_iter().map(Unit::of_name);
        match units.next() {
            Some(first) if units.all(|u| u == first) => first,
            _ => Unit::Plain,
        }
    }

    /// The unit of an expression's result: that of the metric names it mentions, if they agree and
    /// the expression does not divide (a ratio of bytes is not bytes) or count.
    pub fn of_expr(expr: &str) -> Unit {
        if expr.contains('/') || ["count", "_count"].iter().any(|w| expr.contains(w)) {
            return Unit::Plain;
        }
        let names: Vec<&str> = expr
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .filter(|w| w.contains('_') && w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
            .filter(|w| Unit::of_name(w) != Unit::Plain)
            .collect();
        Unit::of_names(names)
    }
}

/// A tick: where (in plot coordinates) and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick<T> {
    pub at: T,
    pub label: String,
}

/// A prefix: what a value is divided by and the suffix after it.
type Scale = (f64, &'static str);

const SI: [Scale; 9] = [
    (1e-9, "n"),
    (1e-6, "µ"),
    (1e-3, "m"),
    (1.0, ""),
    (1e3, "k"),
    (1e6, "M"),
    (1e9, "G"),
    (1e12, "T"),
    (1e15, "P"),
];
const IEC: [Scale; 7] = [
    (1.0, "B"),
    (1024.0, "KiB"),
    (1048576.0, "MiB"),
    (1073741824.0, "GiB"),
    (1099511627776.0, "TiB"),
    (1125899906842624.0, "PiB"),
    (1152921504606846976.0, "EiB"),
];
const DURATIONS: [Scale; 7] =
    [(1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1.0, "s"), (60.0, "m"), (3600.0, "h"), (86400.0, "d")];

fn scales(unit: Unit) -> &'static [Scale] {
    match unit {
        Unit::Plain => &SI,
        Unit::Bytes => &IEC,
        Unit::Seconds => &DURATIONS,
    }
}

/// The largest scale not above `magnitude` (the smallest for zero or tiny magnitudes).
fn scale_for(unit: Unit, magnitude: f64) -> Scale {
    let all = scales(unit);
    let start = if unit == Unit::Plain { 3 } else { 0 };
    if magnitude == 0.0 || !magnitude.is_finite() {
        return all[start];
    }
    let fits = all.iter().rev().find(|(s, _)| magnitude >= *s * (1.0 - 1e-12));
    // Plain values between 1e-3 and 1 read better as 0.25 than 250m.
    match fits {
        Some(&(s, _)) if unit == Unit::Plain && (1e-3..1.0).contains(&s) => all[3],
        Some(&f) => f,
        None => all[0],
    }
}

/// `v` in `scale` with `decimals` digits after the point, trailing zeros trimmed.
fn fixed(v: f64, (s, suffix): Scale, decimals: usize) -> String {
    let n = format!("{:.*}", decimals, v / s);
    let n = if n.contains('.') { n.trim_end_matches('0').trim_end_matches('.') } else { &n };
    let n = if n == "-0" { "0" } else { n };
    if n == "0" {
        return "0".into();
    }
    format!("{n}{suffix}")
}

/// 1, 2 or 5 times a power of ten, the smallest not below `raw`.
fn nice_step(raw: f64) -> f64 {
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * p).find(|s| *s >= raw * (1.0 - 1e-9)).unwrap_or(10.0 * p)
}

/// Ticks on round steps inside `[lo, hi]`, at most `max` of them, labelled in `unit`.
pub fn value_ticks(lo: f64, hi: f64, unit: Unit, max: usize) -> Vec<Tick<f64>> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    let scale = scale_for(unit, lo.abs().max(hi.abs()));
    // Steps are round in the chosen scale: 512 MiB, 250 ms.
    let step = nice_step((hi - lo) / scale.0 / max.max(1) as f64) * scale.0;
    let decimals = (-(step / scale.0).log10().floor()).max(0.0) as usize;
    // A tick exactly at a bound stays, whatever the rounding of the division.
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last)
        .map(|k| {
            let at = k as f64 * step;
            Tick { at, label: fixed(at, scale, decimals) }
        })
        .collect()
}

/// Ticks of a log10 axis (plot coordinates are exponents): at the powers of ten inside `[lo, hi]`,
/// every second or fifth one where there would be more than `max`.
pub fn log_ticks(lo: f64, hi: f64, unit: Unit, max: usize) -> Vec<Tick<f64>> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    let (first, last) = (lo.ceil() as i64, hi.floor() as i64);
    let every = [1, 2, 5, 10, 20, 50].into_iter().find(|e| (last - first) / e < max as i64).unwrap_or(100);
    (first..=last)
        .filter(|k| k.rem_euclid(every) == 0)
        .map(|k| {
            let v = 10f64.powi(k as i32);
            Tick { at: k as f64, label: format_value(v, unit) }
        })
        .collect()
}

/// A value for read-outs: up to four significant digits in the unit's best prefix.
pub fn format_value(v: f64, unit: Unit) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let scale = scale_for(unit, v.abs());
    let scaled = (v / scale.0).abs();
    if unit == Unit::Plain && scaled != 0.0 && !(1e-3..1e3).contains(&scaled) {
        return format!("{v:.3e}");
    }
    let digits = if scaled >= 100.0 {
        1
    } else if scaled >= 10.0 {
        2
    } else {
        3
    };
    fixed(v, scale, digits)
}

/// Wall-clock steps for a time axis, in ms.
const TIME_STEPS: [i64; 22] = [
    1_000,
    2_000,
    5_000,
    10_000,
    15_000,
    30_000, // seconds
    60_000,
    120_000,
    300_000,
    600_000,
    900_000,
    1_800_000, // minutes
    3_600_000,
    7_200_000,
    10_800_000,
    21_600_000,
    43_200_000, // hours
    86_400_000,
    172_800_000,
    604_800_000,
    1_209_600_000,
    2_592_000_000, // days
];

/// Ticks on round instants of the clock shifted by `offset_ms` (0: UTC) inside `[x0, x1]`, at most
/// `max`: `HH:MM:SS` for steps under a minute, `HH:MM` under a day, and the date (`MM-DD`) on the
/// first tick of each day and on every tick of steps of a day or more.
pub fn time_ticks(x0: i64, x1: i64, offset_ms: i64, max: usize) -> Vec<Tick<i64>> {
    if x1 <= x0 {
        return Vec::new();
    }
    let span = x1 - x0;
    let step = TIME_STEPS
        .into_iter()
        .find(|s| span / s < max.max(1) as i64)
        .unwrap_or_else(|| span / max.max(1) as i64 / 86_400_000 * 86_400_000 + 86_400_000);
    let local0 = x0.saturating_add(offset_ms);
    let mut local = local0.div_euclid(step) * step;
    if local < local0 {
        local += step;
    }
    let mut out = Vec::new();
    let mut last_day = None;
    while local - offset_ms <= x1 {
        let (_, mo, d, h, mi, s) = civil(local);
        let day = Some((mo, d));
        let label = if step >= 86_400_000 {
            format!("{mo:02}-{d:02}")
        } else if last_day.is_some() && last_day != day || (last_day.is_none() && span > 86_400_000) {
            format!("{mo:02}-{d:02} {h:02}:{mi:02}")
        } else if step < 60_000 {
            format!("{h:02}:{mi:02}:{s:02}")
        } else {
            format!("{h:02}:{mi:02}")
        };
        last_day = day;
        out.push(Tick { at: local - offset_ms, label });
        local += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels<T>(ticks: &[Tick<T>]) -> Vec<&str> {
        ticks.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn units_from_names_and_expressions() {
        assert_eq!(Unit::of_names(["node_memory_MemFree_bytes"]), Unit::Bytes);
        assert_eq!(Unit::of_names(["a_bytes", "b_seconds"]), Unit::Plain);
        assert_eq!(Unit::of_names(["process_cpu_seconds_total"]), Unit::Seconds);
        assert_eq!(Unit::of_names([]), Unit::Plain);
        assert_eq!(Unit::of_expr("rate(node_network_receive_bytes_total[5m])"), Unit::Bytes);
        assert_eq!(
            Unit::of_expr("histogram_quantile(0.9, sum by (le) (rate(http_duration_seconds_bucket[5m])))"),
            Unit::Seconds
        );
        assert_eq!(Unit::of_expr("a_bytes / b_bytes"), Unit::Plain, "a ratio");
        assert_eq!(Unit::of_expr("count(up_bytes)"), Unit::Plain);
        assert_eq!(Unit::of_expr("up"), Unit::Plain);
    }

    #[test]
    fn value_ticks_are_round_and_prefixed() {
        assert_eq!(labels(&value_ticks(0.0, 1.0, Unit::Plain, 5)), ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        assert_eq!(
            labels(&value_ticks(2.2e10, 2.71e10, Unit::Plain, 6)),
            ["22G", "23G", "24G", "25G", "26G", "27G"]
        );
        assert_eq!(
            labels(&value_ticks(0.0, 3.0 * 1073741824.0, Unit::Bytes, 4)),
            ["0", "1GiB", "2GiB", "3GiB"]
        );
        assert_eq!(
            labels(&value_ticks(0.0, 700.0 * 1048576.0, Unit::Bytes, 4)),
            ["0", "200MiB", "400MiB", "600MiB"]
        );
        assert_eq!(labels(&value_ticks(0.0, 0.0042, Unit::Seconds, 5)), ["0", "1ms", "2ms", "3ms", "4ms"]);
        assert_eq!(labels(&value_ticks(0.0, 7200.0, Unit::Seconds, 3)), ["0", "1h", "2h"]);
        assert_eq!(labels(&value_ticks(-1.5, 1.5, Unit::Plain, 3)), ["-1", "0", "1"]);
        assert_eq!(
            labels(&value_ticks(1e-7, 5e-7, Unit::Plain, 4)),
            ["100n", "200n", "300n", "400n", "500n"]
        );
        // A near-constant range still gets distinct labels.
        let t = value_ticks(0.0899, 0.0901, Unit::Plain, 4);
        assert!(t.len() >= 2 && t.windows(2).all(|w| w[0].label != w[1].label), "{t:?}");
        assert!(value_ticks(1.0, 1.0, Unit::Plain, 4).is_empty());
        assert!(value_ticks(f64::NAN, 1.0, Unit::Plain, 4).is_empty());
    }

    #[test]
    fn log_ticks_at_powers_of_ten() {
        assert_eq!(labels(&log_ticks(-0.5, 3.2, Unit::Plain, 10)), ["1", "10", "100", "1k"]);
        assert_eq!(labels(&log_ticks(0.0, 20.0, Unit::Plain, 5)).len(), 5, "every fifth");
        assert_eq!(labels(&log_ticks(0.0, 3.1, Unit::Bytes, 10))[3], "1000B");
    }

    #[test]
    fn read_out_values() {
        assert_eq!(format_value(270553174016.0, Unit::Bytes), "252GiB");
        assert_eq!(format_value(24.5e9, Unit::Plain), "24.5G");
        assert_eq!(format_value(0.000123, Unit::Seconds), "123µs");
        assert_eq!(format_value(1.0 / 3.0, Unit::Plain), "0.333");
        assert_eq!(format_value(1e-7, Unit::Plain), "100n");
        assert_eq!(format_value(0.0, Unit::Bytes), "0");
        assert_eq!(format_value(f64::NEG_INFINITY, Unit::Plain), "-Inf");
    }

    #[test]
    fn time_ticks_fall_on_round_instants() {
        let t0 = 1_796_602_400_000; // 2026-12-07 00:13:20 UTC
        let five_min = time_ticks(t0, t0 + 300_000, 0, 8);
        assert_eq!(labels(&five_min), ["00:14", "00:15", "00:16", "00:17", "00:18"]);
        let hour = time_ticks(t0, t0 + 3_600_000, 0, 8);
        assert_eq!(labels(&hour), ["00:20", "00:30", "00:40", "00:50", "01:00", "01:10"]);
        // Local time (UTC+1): ticks on the local hour.
        let local = time_ticks(t0, t0 + 3 * 3_600_000, 3_600_000, 4);
        assert_eq!(labels(&local), ["02:00", "03:00", "04:00"]);
        assert!(local.iter().all(|t| (t.at + 3_600_000) % 3_600_000 == 0));
        // Two days: dates where the day changes.
        let two_days = time_ticks(t0, t0 + 2 * 86_400_000, 0, 8);
        assert_eq!(labels(&two_days), ["12-07 12:00", "12-08 00:00", "12:00", "12-09 00:00"]);
        assert!(two_days.iter().all(|t| t.at % 43_200_000 == 0));
        let seconds = time_ticks(t0, t0 + 60_000, 0, 6);
        assert_eq!(labels(&seconds)[..2], ["00:13:30", "00:13:45"]);
    }
}
