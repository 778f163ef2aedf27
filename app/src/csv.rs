//! A query result as CSV (RFC 4180: CRLF line ends, fields with `"`, `,`, CR or LF quoted, quotes
//! doubled), one row per sample: `series,timestamp,unix_time,value`.

use promapi::params::format_seconds;
use promapi::time::rfc3339;
use promapi::{QueryData, SamplePair};

use crate::format::series_name;

const HEADER: &str = "series,timestamp,unix_time,value\r\n";

/// The CSV text of `data`: every series of a matrix or vector, or the scalar or string.
pub fn to_csv(data: &QueryData) -> String {
    let mut out = String::from(HEADER);
    match data {
        QueryData::Vector(v) => {
            for s in v {
                let name = series_name(&s.metric);
                match (&s.value, &s.histogram) {
                    (Some(p), _) => row(&mut out, &name, p),
                    (None, Some((t, h))) => {
                        row(&mut out, &name, &SamplePair(*t, format!("count:{} sum:{}", h.count, h.sum)))
                    }
                    (None, None) => {}
                }
            }
        }
        QueryData::Matrix(m) => {
            for s in m {
                let name = series_name(&s.metric);
                for p in &s.values {
                    row(&mut out, &name, p);
                }
            }
        }
        QueryData::Scalar(p) => row(&mut out, "scalar", p),
        QueryData::String(p) => row(&mut out, "string", p),
    }
    out
}

fn row(out: &mut String, series: &str, p: &SamplePair) {
    let fields = [field(series), rfc3339(p.t_millis()), format_seconds(p.0), field(&p.1)];
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
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
            "series,timestamp,unix_time,value\r\n\
             \"up{job=\"\"a,b\"\"}\",2023-11-14T22:13:20.500Z,1700000000.5,1\r\n\
             \"{q=\"\"say \\\"\"hi\\\"\"\\nbye\"\"}\",2023-11-14T22:13:20.000Z,1700000000,NaN\r\n"
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
            "series,timestamp,unix_time,value\r\n\
             x,1970-01-01T00:00:00.000Z,0,1\r\nx,1970-01-01T00:00:15.000Z,15,+Inf\r\n"
        );
        assert_eq!(to_csv(&QueryData::Matrix(vec![])), HEADER);
        assert_eq!(
            to_csv(&QueryData::Scalar(SamplePair(1.0, "2".into()))),
            format!("{HEADER}scalar,1970-01-01T00:00:01.000Z,1,2\r\n")
        );
    }
}
