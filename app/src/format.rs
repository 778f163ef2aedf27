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
}
