//! How series and values are written on screen.

use promapi::Labels;

/// `name{label="value", …}` as Prometheus prints a series; `{}` for a series without labels.
/// Values are escaped like PromQL strings, so the text can be pasted back into a query.
pub fn series_name(labels: &Labels) -> String {
    let name = labels.get("__name__").map(String::as_str).unwrap_or("");
    let rest: Vec<String> = labels
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if rest.is_empty() && !name.is_empty() {
        name.to_string()
    } else {
        format!("{name}{{{}}}", rest.join(", "))
    }
}

fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A value for an axis tick or read-out: short, but without losing the magnitude.
pub fn short_value(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e15).contains(&a) {
        return format!("{v:.3e}");
    }
    // Up to 4 significant decimals, trailing zeros trimmed.
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn series_names_as_prometheus_prints_them() {
        assert_eq!(
            series_name(&labels(&[("__name__", "up"), ("job", "node"), ("instance", "h:9100")])),
            r#"up{instance="h:9100", job="node"}"#
        );
        assert_eq!(series_name(&labels(&[("__name__", "up")])), "up");
        assert_eq!(series_name(&labels(&[("job", "x")])), r#"{job="x"}"#);
        assert_eq!(series_name(&labels(&[])), "{}");
        assert_eq!(series_name(&labels(&[("a", "q\"\\\n")])), r#"{a="q\"\\\n"}"#);
    }

    #[test]
    fn short_values() {
        assert_eq!(short_value(1.0), "1");
        assert_eq!(short_value(0.25), "0.25");
        assert_eq!(short_value(1.0 / 3.0), "0.3333");
        assert_eq!(short_value(-0.00001), "-1.000e-5");
        assert_eq!(short_value(0.0), "0");
        assert_eq!(short_value(-0.0), "0");
        assert_eq!(short_value(f64::NAN), "NaN");
        assert_eq!(short_value(f64::NEG_INFINITY), "-Inf");
    }
}
