//! A query result as CSV (RFC 4180: CRLF line ends, fields with `"`, `,`, CR or LF quoted, quotes
//! doubled), one row per sample: `series,timestamp,unix_time,value`, then one column per label name
//! (`__name__` first, then in order), so a spreadsheet can filter and pivot by label.

use std::collections::BTreeSet;

use promapi::params::format_seconds;
use promapi::time::rfc3339;
use promapi::{Labels, QueryData, SamplePair};

use crate::format::series_name;
use crate::time::format_time;

const HEADER: &str = "series,timestamp,unix_time,value";

/// The CSV text of `data`: every series of a matrix or vector, or the scalar or string.
pub fn to_csv(data: &QueryData) -> String {
    let names = label_names(data);
    let mut out = String::from(HEADER);
    for n in &names {
        out.push(',');
        out.push_str(&field(n));
    }
    out.push_str("\r\n");
    let none = Labels::new();
    match data {
        QueryData::Vector(v) => {
            for s in v {
                let name = series_name(&s.metric);
                match (&s.value, &s.histogram) {
                    (Some(p), _) => row(&mut out, &name, p, &s.metric, &names),
                    (None, Some((t, h))) => {
                        let p = SamplePair(*t, format!("count:{} sum:{}", h.count, h.sum));
                        row(&mut out, &name, &p, &s.metric, &names)
                    }
                    (None, None) => {}
                }
            }
        }
        QueryData::Matrix(m) => {
            for s in m {
                let name = series_name(&s.metric);
                for p in &s.values {
                    row(&mut out, &name, p, &s.metric, &names);
                }
            }
        }
        QueryData::Scalar(p) => row(&mut out, "scalar", p, &none, &names),
        QueryData::String(p) => row(&mut out, "string", p, &none, &names),
    }
    out
}

/// Every label name of the result's series: `__name__` first, the rest in order.
fn label_names(data: &QueryData) -> Vec<String> {
    let all: BTreeSet<&String> = match data {
        QueryData::Vector(v) => v.iter().flat_map(|s| s.metric.keys()).collect(),
        QueryData::Matrix(m) => m.iter().flat_map(|s| s.metric.keys()).collect(),
        QueryData::Scalar(_) | QueryData::String(_) => BTreeSet::new(),
    };
    let (name, rest): (Vec<&String>, Vec<&String>) = all.into_iter().partition(|n| *n == "__name__");
    name.into_iter().chain(rest).cloned().collect()
}

fn row(out: &mut String, series: &str, p: &SamplePair, labels: &Labels, names: &[String]) {
    let fields = [field(series), rfc3339(p.t_millis()), format_seconds(p.0), field(&p.1)];
    out.push_str(&fields.join(","));
    for n in names {
        out.push(',');
        out.push_str(&field(labels.get(n).map_or("", String::as_str)));
    }
    out.push_str("\r\n");
}

/// A download's name: the expression's first words and the time, `rate_http_requests_total-20261207-142500.csv`.
pub fn file_name(expr: &str, now_ms: i64) -> String {
    let words: Vec<&str> = expr
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut stem = String::new();
    for w in words {
        if stem.len() + w.len() > 48 {
            break;
        }
        if !stem.is_empty() {
            stem.push('_');
        }
        stem.push_str(&w.replace(':', "_"));
    }
    if stem.is_empty() {
        stem.push_str("query");
    }
    // `YYYY-MM-DD HH:mm:ss` → `YYYYMMDD-HHmmss`.
    let when: String = format_time(now_ms).chars().filter(char::is_ascii_digit).collect();
    let (day, clock) = when.split_at(8.min(when.len()));
    format!("{stem}-{day}-{clock}.csv")
}

/// One field, quoted when RFC 4180 requires it.
pub fn field(s: &str) -> String {
    if s.contains(['"', ',', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promapi::{InstantSample, RangeSeries};

    fn labels(pairs: &[(&str, &str)]) -> promapi::Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("up"), "up");
        assert_eq!(field(r#"a"b"#), r#""a""b""#);
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("a\nb"), "\"a\nb\"");
        assert_eq!(field("a\rb"), "\"a\rb\"");
        assert_eq!(field(""), "");
    }

    #[test]
    fn a_vector_with_awkward_labels() {
        let v = vec![
            InstantSample {
                metric: labels(&[("__name__", "up"), ("job", "a,b")]),
                value: Some(SamplePair(1_700_000_000.5, "1".into())),
                histogram: None,
            },
            InstantSample {
                metric: labels(&[("q", "say \"hi\"\nbye")]),
                value: Some(SamplePair(1_700_000_000.0, "NaN".into())),
                histogram: None,
            },
        ];
        let csv = to_csv(&QueryData::Vector(v));
        assert_eq!(
            csv,
            "series,timestamp,unix_time,value,__name__,job,q\r\n\
             \"up{job=\"\"a,b\"\"}\",2023-11-14T22:13:20.500Z,1700000000.5,1,up,\"a,b\",\r\n\
             \"{q=\"\"say \\\"\"hi\\\"\"\\nbye\"\"}\",2023-11-14T22:13:20.000Z,1700000000,NaN,,,\"say \"\"hi\"\"\nbye\"\r\n"
        );
    }

    #[test]
    fn a_matrix_has_a_row_per_sample_and_scalars_one_row() {
        let m = vec![RangeSeries {
            metric: labels(&[("__name__", "x")]),
            values: vec![SamplePair(0.0, "1".into()), SamplePair(15.0, "+Inf".into())],
            histograms: vec![],
        }];
        assert_eq!(
            to_csv(&QueryData::Matrix(m)),
            "series,timestamp,unix_time,value,__name__\r\n\
             x,1970-01-01T00:00:00.000Z,0,1,x\r\nx,1970-01-01T00:00:15.000Z,15,+Inf,x\r\n"
        );
        assert_eq!(to_csv(&QueryData::Matrix(vec![])), format!("{HEADER}\r\n"));
        assert_eq!(
            to_csv(&QueryData::Scalar(SamplePair(1.0, "2".into()))),
            format!("{HEADER}\r\nscalar,1970-01-01T00:00:01.000Z,1,2\r\n")
        );
    }

    #[test]
    fn a_file_is_named_by_its_expression_and_time() {
        let t = 1_765_117_500_000; // 2025-12-07 14:25:00 UTC
        assert_eq!(
            file_name("rate(http_requests_total[5m])", t),
            "rate_http_requests_total_5m-20251207-142500.csv"
        );
        assert_eq!(file_name("job:up:sum", t), "job_up_sum-20251207-142500.csv");
        assert_eq!(file_name("{} + ()", t), "query-20251207-142500.csv");
        let long = file_name(&"very_long_metric_name ".repeat(9), t);
        assert!(
            long.len() < 80 && long.starts_with("very_long_metric_name_very_long_metric_name-"),
            "{long}"
        );
    }
}
