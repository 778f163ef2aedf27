//! Label and annotation templates: Go text/template (the `gtmpl` crate) with Prometheus' preamble
//! (`$labels`, `$value`, `$externalLabels`, `$externalURL`) and the functions real rule sets use.
//!
//! A template that fails renders as `<error expanding template: …>`, as in Prometheus, and the rule
//! goes on.
//!
//! `query` needs the querier, which is async, inside a synchronous template function. So rendering
//! reads results from [`Queries`]: a first render records the expressions it lacks, the caller runs
//! them and renders again (see `Group::eval`). Templates are deterministic, so this settles.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use gtmpl::{Context, Template, Value};
use gtmpl_value::{Func, FuncError};
use promapi::Labels;

/// What a template sees.
#[derive(Debug, Clone, Copy)]
pub struct TemplateData<'a> {
    pub labels: &'a Labels,
    pub value: f64,
    pub external_labels: &'a Labels,
    pub external_url: &'a str,
}

const PREAMBLE: &str =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

thread_local! {
    // gtmpl functions are plain `fn`s: the few that need the rendering context read it here.
    static EXTERNAL_URL: RefCell<String> = const { RefCell::new(String::new()) };
    static QUERIES: RefCell<Queries> = RefCell::new(Queries::default());
}

/// Why a template cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// An action left open (`{{ $labels.job `): gtmpl would never return on it.
    #[error("unclosed action starting at byte {0}")]
    Unclosed(usize),
    /// gtmpl's parse error.
    #[error("{0}")]
    Parse(String),
    /// gtmpl's execution error (a missing function, a wrong argument).
    #[error("{0}")]
    Render(String),
}

/// Results of the `query` calls of templates, by expression, and the expressions still to run.
#[derive(Debug, Clone, Default)]
pub struct Queries {
    pub results: HashMap<String, Result<Vec<(Labels, f64)>, String>>,
    pub missing: BTreeSet<String>,
}

/// Whether `text` may call `query`, so rendering it needs query results.
pub fn uses_query(text: &str) -> bool {
    text.contains("{{") && text.contains("query")
}

/// Renders `text`; failures become the `<error expanding template: …>` text.
pub fn expand(name: &str, text: &str, data: &TemplateData<'_>) -> String {
    expand_with(name, text, data, &mut Queries::default())
}

/// [`expand`] with query results; a `query` not in `queries` yields no samples and is added to
/// `queries.missing`.
pub fn expand_with(name: &str, text: &str, data: &TemplateData<'_>, queries: &mut Queries) -> String {
    if !text.contains("{{") {
        return text.to_string();
    }
    let with_queries = uses_query(text);
    if with_queries {
        QUERIES.with(|q| std::mem::swap(&mut *q.borrow_mut(), queries));
    }
    let out = render(text, data);
    if with_queries {
        QUERIES.with(|q| std::mem::swap(&mut *q.borrow_mut(), queries));
    }
    match out {
        Ok(s) => s,
        Err(e) => format!("<error expanding template: {name}: {e}>"),
    }
}

/// Checks that `text` parses, for `ruler check rules`.
pub fn check(text: &str) -> Result<(), TemplateError> {
    actions_closed(text)?;
    let mut t = template();
    t.parse(format!("{PREAMBLE}{text}")).map_err(|e| TemplateError::Parse(e.to_string()))
}

/// `--alert.query-template` (Thanos): the link after `--alert.query-url` in an alert's
/// `generatorURL`, a plain Go template whose `.Expr` is the query-escaped expression.
pub fn query_link(text: &str, escaped_expr: &str) -> Result<String, TemplateError> {
    actions_closed(text)?;
    let mut t = Template::default();
    t.parse(text).map_err(|e| TemplateError::Parse(e.to_string()))?;
    let root = HashMap::from([("Expr".to_string(), Value::from(escaped_expr.to_string()))]);
    t.render(&Context::from(Value::Object(root))).map_err(|e| TemplateError::Render(e.to_string()))
}

fn template() -> Template {
    let mut t = Template::default();
    t.add_funcs(FUNCS);
    t
}

/// gtmpl's lexer never returns on an action left open (`{{ $labels.job `), so that case is caught
/// here first: every `{{` needs its `}}`, outside quoted strings.
fn actions_closed(text: &str) -> Result<(), TemplateError> {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(open) = text[i..].find("{{").map(|o| i + o) {
        let mut j = open + 2;
        let mut quote: Option<u8> = None;
        loop {
            if j >= b.len() {
                return Err(TemplateError::Unclosed(open));
            }
            match (quote, b[j]) {
                (Some(q), c) if c == q => quote = None,
                (Some(b'"'), b'\\') | (Some(b'\''), b'\\') => j += 1,
                (Some(_), _) => {}
                (None, c @ (b'"' | b'`' | b'\'')) => quote = Some(c),
                (None, b'}') if b.get(j + 1) == Some(&b'}') => break,
                _ => {}
            }
            j += 1;
        }
        i = j + 2;
    }
    Ok(())
}

fn render(text: &str, data: &TemplateData<'_>) -> Result<String, TemplateError> {
    actions_closed(text)?;
    let mut t = template();
    t.parse(format!("{PREAMBLE}{text}")).map_err(|e| TemplateError::Parse(e.to_string()))?;
    let map = |l: &Labels| Value::Map(l.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect());
    let mut root = HashMap::new();
    root.insert("Labels".to_string(), map(data.labels));
    root.insert("ExternalLabels".to_string(), map(data.external_labels));
    root.insert("ExternalURL".to_string(), Value::from(data.external_url.to_string()));
    root.insert("Value".to_string(), Value::from(data.value));
    EXTERNAL_URL.with(|u| *u.borrow_mut() = data.external_url.to_string());
    t.render(&Context::from(Value::Object(root))).map_err(|e| TemplateError::Render(e.to_string()))
}

static FUNCS: &[(&str, Func)] = &[
    ("humanize", humanize as Func),
    ("humanize1024", humanize1024 as Func),
    ("humanizePercentage", humanize_percentage as Func),
    ("humanizeDuration", humanize_duration as Func),
    ("humanizeTimestamp", humanize_timestamp as Func),
    ("toUpper", to_upper as Func),
    ("toLower", to_lower as Func),
    ("title", title as Func),
    ("reReplaceAll", re_replace_all as Func),
    ("match", re_match as Func),
    ("safeHtml", safe_html as Func),
    ("stripPort", strip_port as Func),
    ("stripDomain", strip_domain as Func),
    ("args", args as Func),
    ("externalURL", external_url as Func),
    ("pathPrefix", path_prefix as Func),
    ("printf", printf as Func),
    ("query", query as Func),
    ("first", first as Func),
    ("label", label as Func),
    ("value", value as Func),
    ("sortByLabel", sort_by_label as Func),
];

fn arg<'a>(name: &str, a: &'a [Value], n: usize) -> Result<&'a Value, FuncError> {
    if a.len() != n {
        return Err(FuncError::ExactlyXArgs(name.into(), n));
    }
    Ok(&a[0])
}

fn to_f64(v: &Value) -> Result<f64, FuncError> {
    match v {
        // gtmpl stores whole numbers as integers.
        Value::Number(n) => n
            .as_f64()
            .or_else(|| n.as_i64().map(|i| i as f64))
            .or_else(|| n.as_u64().map(|u| u as f64))
            .ok_or(FuncError::UnableToConvertFromValue),
        Value::String(s) => promapi::query::parse_value(s.trim())
            .ok_or_else(|| FuncError::Generic(format!("cannot convert {s:?} to a number"))),
        _ => Err(FuncError::UnableToConvertFromValue),
    }
}

fn to_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn s(v: String) -> Result<Value, FuncError> {
    Ok(Value::from(v))
}

fn humanize(a: &[Value]) -> Result<Value, FuncError> {
    s(humanize_f64(to_f64(arg("humanize", a, 1)?)?))
}

/// Go's `%.4g` with SI prefixes, as Prometheus' `humanize`.
pub fn humanize_f64(mut v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return go_g4(v);
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", go_g4(v))
}

fn humanize1024(a: &[Value]) -> Result<Value, FuncError> {
    let mut v = to_f64(arg("humanize1024", a, 1)?)?;
    if v.abs() <= 1.0 || !v.is_finite() {
        return s(go_g4(v));
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    s(format!("{}{prefix}", go_g4(v)))
}

fn humanize_percentage(a: &[Value]) -> Result<Value, FuncError> {
    s(format!("{}%", go_g4(to_f64(arg("humanizePercentage", a, 1)?)? * 100.0)))
}

fn humanize_duration(a: &[Value]) -> Result<Value, FuncError> {
    let mut v = to_f64(arg("humanizeDuration", a, 1)?)?;
    if !v.is_finite() {
        return s(go_g4(v));
    }
    if v == 0.0 {
        return s(format!("{}s", go_g4(v)));
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        v = v.abs();
        let d = v as i64;
        let (secs, mins, hours, days) = (d % 60, d / 60 % 60, d / 3600 % 24, d / 86400);
        return s(if days != 0 {
            format!("{sign}{days}d {hours}h {mins}m {secs}s")
        } else if hours != 0 {
            format!("{sign}{hours}h {mins}m {secs}s")
        } else if mins != 0 {
            format!("{sign}{mins}m {secs}s")
        } else {
            format!("{sign}{}s", go_g4(v))
        });
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    s(format!("{}{prefix}s", go_g4(v)))
}

fn humanize_timestamp(a: &[Value]) -> Result<Value, FuncError> {
    let v = to_f64(arg("humanizeTimestamp", a, 1)?)?;
    if !v.is_finite() {
        return s(go_g4(v));
    }
    // Go's time.Time.String() in UTC: "2006-01-02 15:04:05.999999999 +0000 UTC".
    let secs = v.floor() as i64;
    let nanos = ((v - v.floor()) * 1e9).round() as i64;
    let (y, m, d, h, mi, se) = promapi::time::civil(secs * 1000);
    let frac =
        if nanos == 0 { String::new() } else { format!(".{nanos:09}").trim_end_matches('0').to_string() };
    s(format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{se:02}{frac} +0000 UTC"))
}

fn to_upper(a: &[Value]) -> Result<Value, FuncError> {
    s(to_str(arg("toUpper", a, 1)?).to_uppercase())
}

fn to_lower(a: &[Value]) -> Result<Value, FuncError> {
    s(to_str(arg("toLower", a, 1)?).to_lowercase())
}

/// Go's deprecated `strings.Title`: upper-cases the first letter of each word.
fn title(a: &[Value]) -> Result<Value, FuncError> {
    let text = to_str(arg("title", a, 1)?);
    let mut out = String::with_capacity(text.len());
    let mut prev_letter = false;
    for c in text.chars() {
        let letter = c.is_alphanumeric() || c == '_' || c == '\'';
        if letter && !prev_letter {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = letter;
    }
    s(out)
}

fn re_replace_all(a: &[Value]) -> Result<Value, FuncError> {
    if a.len() != 3 {
        return Err(FuncError::ExactlyXArgs("reReplaceAll".into(), 3));
    }
    let re = regex::Regex::new(&to_str(&a[0])).map_err(|e| FuncError::Generic(e.to_string()))?;
    s(re.replace_all(&to_str(&a[2]), to_str(&a[1]).as_str()).into_owned())
}

fn re_match(a: &[Value]) -> Result<Value, FuncError> {
    if a.len() != 2 {
        return Err(FuncError::ExactlyXArgs("match".into(), 2));
    }
    let re = regex::Regex::new(&to_str(&a[0])).map_err(|e| FuncError::Generic(e.to_string()))?;
    Ok(Value::Bool(re.is_match(&to_str(&a[1]))))
}

fn safe_html(a: &[Value]) -> Result<Value, FuncError> {
    s(to_str(arg("safeHtml", a, 1)?))
}

/// `host:port` → `host`; `[::1]:9090` → `::1`; anything else unchanged.
fn strip_port(a: &[Value]) -> Result<Value, FuncError> {
    let hp = to_str(arg("stripPort", a, 1)?);
    if let Some(rest) = hp.strip_prefix('[') {
        if let Some((host, port)) = rest.split_once("]:") {
            if !port.contains(':') {
                return s(host.to_string());
            }
        }
        return s(hp);
    }
    match hp.rsplit_once(':') {
        Some((host, _)) if !host.contains(':') => s(host.to_string()),
        _ => s(hp),
    }
}

/// `host.example.com:9090` → `host:9090`; IP addresses unchanged.
fn strip_domain(a: &[Value]) -> Result<Value, FuncError> {
    let hp = to_str(arg("stripDomain", a, 1)?);
    let (host, port) = match hp.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.to_string(), format!(":{p}")),
        _ => (hp.clone(), String::new()),
    };
    if host.parse::<std::net::IpAddr>().is_ok() || hp.starts_with('[') {
        return s(hp);
    }
    s(format!("{}{port}", host.split('.').next().unwrap_or(&host)))
}

fn args(a: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::Map(a.iter().enumerate().map(|(i, v)| (format!("arg{i}"), v.clone())).collect()))
}

fn external_url(_: &[Value]) -> Result<Value, FuncError> {
    s(EXTERNAL_URL.with(|u| u.borrow().clone()))
}

fn path_prefix(_: &[Value]) -> Result<Value, FuncError> {
    let url = EXTERNAL_URL.with(|u| u.borrow().clone());
    let after_scheme = url.split_once("://").map(|(_, r)| r).unwrap_or(&url);
    s(after_scheme.find('/').map(|i| after_scheme[i..].trim_end_matches('/').to_string()).unwrap_or_default())
}

/// Go's `fmt.Sprintf` for the verbs templates use (`%v %s %d %f %e %g %q %x %X %t %%`, with flags,
/// width and precision). gtmpl's own prints `%%` twice and does not quote `%q`.
fn printf(a: &[Value]) -> Result<Value, FuncError> {
    let format = to_str(a.first().ok_or_else(|| FuncError::AtLeastXArgs("printf".into(), 1))?);
    let mut args = a[1..].iter();
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let (mut minus, mut plus, mut zero, mut space) = (false, false, false, false);
        while let Some(&f) = chars.peek() {
            match f {
                '-' => minus = true,
                '+' => plus = true,
                '0' => zero = true,
                ' ' => space = true,
                '#' => {}
                _ => break,
            }
            chars.next();
        }
        let number = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            let mut n = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = Some(n.unwrap_or(0) * 10 + d as usize);
                chars.next();
            }
            n
        };
        let width = number(&mut chars);
        let prec = if chars.peek() == Some(&'.') {
            chars.next();
            Some(number(&mut chars).unwrap_or(0))
        } else {
            None
        };
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.next() else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        let num = to_f64(arg).ok().filter(|_| matches!(arg, Value::Number(_)));
        let is_int = matches!(arg, Value::Number(n) if n.as_i64().is_some() || n.as_u64().is_some());
        let text = match (verb, num) {
            ('v' | 's', Some(f)) if is_int => format!("{}", f as i64),
            ('v' | 's', Some(f)) => go_shortest(f),
            ('v' | 's', None) => to_str(arg),
            ('d', Some(f)) if is_int || f.fract() == 0.0 => format!("{}", f as i64),
            ('f' | 'F', Some(f)) => format!("{:.*}", prec.unwrap_or(6), f),
            ('e', Some(f)) => go_exp(f, prec.unwrap_or(6)),
            ('g', Some(f)) => prec.map(|p| go_g(f, p.max(1))).unwrap_or_else(|| go_shortest(f)),
            ('x', Some(f)) if is_int => format!("{:x}", f as i64),
            ('X', Some(f)) if is_int => format!("{:X}", f as i64),
            ('x', None) => to_str(arg).bytes().map(|b| format!("{b:02x}")).collect(),
            ('q', None) => format!("{:?}", to_str(arg)),
            ('t', _) if matches!(arg, Value::Bool(_)) => to_str(arg),
            _ => format!("%!{verb}({})", to_str(arg)),
        };
        let text = match (num, plus, space) {
            (Some(f), true, _) if f >= 0.0 => format!("+{text}"),
            (Some(f), false, true) if f >= 0.0 => format!(" {text}"),
            _ => text,
        };
        let pad = width.unwrap_or(0).saturating_sub(text.chars().count());
        if minus {
            out.push_str(&text);
            out.extend(std::iter::repeat_n(' ', pad));
        } else if zero && num.is_some() {
            let (sign, digits) =
                if text.starts_with(['-', '+']) { text.split_at(1) } else { ("", text.as_str()) };
            out.push_str(sign);
            out.extend(std::iter::repeat_n('0', pad));
            out.push_str(digits);
        } else {
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(&text);
        }
    }
    if args.next().is_some() {
        out.push_str("%!(EXTRA)");
    }
    s(out)
}

/// Go's `%v` of a float64: the shortest digits, in %e form below 1e-4 or from 1e21 on.
fn go_shortest(v: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return go_g(v, 1);
    }
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..21).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{v}")
    }
}

/// Go's `%.<prec>e`: the exponent signed and at least two digits.
fn go_exp(v: f64, prec: usize) -> String {
    if !v.is_finite() {
        return go_g(v, 1);
    }
    let sci = format!("{v:.prec$e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// Go's `fmt.Sprintf("%.4g", v)`.
pub fn go_g4(v: f64) -> String {
    go_g(v, 4)
}

fn go_g(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    // Round to `prec` significant digits through scientific formatting, then pick %e or %f as Go does.
    let sci = format!("{:.*e}", prec - 1, v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        let m = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{:.*}", decimals, v))
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// `query "expr"`: the samples, each with `.Labels` and `.Value`.
fn query(a: &[Value]) -> Result<Value, FuncError> {
    let expr = to_str(arg("query", a, 1)?);
    let found = QUERIES.with(|q| {
        let mut q = q.borrow_mut();
        let found = q.results.get(&expr).cloned();
        if found.is_none() {
            q.missing.insert(expr.clone());
        }
        found
    });
    match found {
        None => Ok(Value::Array(vec![])),
        Some(Err(e)) => Err(FuncError::Generic(format!("error executing query: {e}"))),
        Some(Ok(samples)) => Ok(Value::Array(
            samples
                .into_iter()
                .map(|(labels, v)| {
                    let labels = Value::Map(labels.into_iter().map(|(k, v)| (k, Value::from(v))).collect());
                    Value::Object(
                        [("Labels".to_string(), labels), ("Value".to_string(), Value::from(v))].into(),
                    )
                })
                .collect(),
        )),
    }
}

fn sample_field<'a>(v: &'a Value, field: &str) -> Option<&'a Value> {
    match v {
        Value::Object(o) | Value::Map(o) => o.get(field),
        _ => None,
    }
}

fn first(a: &[Value]) -> Result<Value, FuncError> {
    match arg("first", a, 1)? {
        Value::Array(v) => v
            .first()
            .cloned()
            .ok_or_else(|| FuncError::Generic("first() called on vector with no elements".into())),
        _ => Err(FuncError::Generic("first() needs the result of query".into())),
    }
}

/// `label "name" sample`.
fn label(a: &[Value]) -> Result<Value, FuncError> {
    if a.len() != 2 {
        return Err(FuncError::ExactlyXArgs("label".into(), 2));
    }
    let name = to_str(&a[0]);
    let value =
        sample_field(&a[1], "Labels").and_then(|l| sample_field(l, &name)).map(to_str).unwrap_or_default();
    s(value)
}

fn value(a: &[Value]) -> Result<Value, FuncError> {
    sample_field(arg("value", a, 1)?, "Value")
        .cloned()
        .ok_or_else(|| FuncError::Generic("value() needs a sample".into()))
}

/// `sortByLabel "name" samples`: ordered by that label's value, stably.
fn sort_by_label(a: &[Value]) -> Result<Value, FuncError> {
    if a.len() != 2 {
        return Err(FuncError::ExactlyXArgs("sortByLabel".into(), 2));
    }
    let name = to_str(&a[0]);
    let Value::Array(samples) = &a[1] else {
        return Err(FuncError::Generic("sortByLabel needs the result of query".into()));
    };
    let mut samples = samples.clone();
    let key = |v: &Value| {
        sample_field(v, "Labels").and_then(|l| sample_field(l, &name)).map(to_str).unwrap_or_default()
    };
    samples.sort_by_key(key);
    Ok(Value::Array(samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn render_with(text: &str, value: f64) -> String {
        let labels = l(&[("instance", "host-1.example.com:9100"), ("job", "node")]);
        let ext = l(&[("cluster", "eu1")]);
        expand(
            "t",
            text,
            &TemplateData {
                labels: &labels,
                value,
                external_labels: &ext,
                external_url: "http://ruler.example.com/thanos",
            },
        )
    }

    #[test]
    fn query_results_feed_first_label_value_and_range() {
        let labels = l(&[("instance", "a:9100")]);
        let ext = Labels::new();
        let data = TemplateData { labels: &labels, value: 1.0, external_labels: &ext, external_url: "" };
        let text = r#"{{ with query "up{job='x'}" }}{{ . | first | value | humanize }} {{ . | first | label "instance" }}{{ end }}/{{ range query "up{job='x'}" | sortByLabel "instance" }}{{ .Labels.instance }}={{ .Value }},{{ end }}"#;
        let mut q = Queries::default();
        assert_eq!(expand_with("t", text, &data, &mut q), "/", "no results yet: the query is recorded");
        assert_eq!(q.missing.iter().collect::<Vec<_>>(), ["up{job='x'}"]);
        q.missing.clear();
        q.results.insert(
            "up{job='x'}".into(),
            Ok(vec![(l(&[("instance", "b:1")]), 1234.5), (l(&[("instance", "a:1")]), 0.0)]),
        );
        assert_eq!(expand_with("t", text, &data, &mut q), "1.234k b:1/a:1=0,b:1=1234.5,");
        assert!(q.missing.is_empty());

        q.results.insert("bad(".into(), Err("parse error".into()));
        let out = expand_with("t", r#"{{ query "bad(" }}"#, &data, &mut q);
        assert!(out.starts_with("<error expanding template: t:") && out.contains("parse error"), "{out}");
        let out = expand_with("t", r#"{{ query "none" | first }}"#, &data, &mut Queries::default());
        assert!(out.contains("no elements"), "{out}");
    }

    #[test]
    fn printf_prints_what_go_prints() {
        // Expected: Go's fmt.Sprintf with the same format and arguments.
        let cases = [
            (r#"{{ printf "%.2f%%" 12.345 }}"#, "12.35%"),
            (r#"{{ printf "%q" "a\"b" }}"#, r#""a\"b""#),
            (r#"{{ printf "%v|%d|%5.1f|%x|%-4s|" "s" 3 2.5 255 "ab" }}"#, "s|3|  2.5|ff|ab  |"),
            (
                r#"{{ printf "%05.1f|%+d|%e|%g|%.3g" 3.14159 7 1234.5678 0.000012345 1234.5678 }}"#,
                "003.1|+7|1.234568e+03|1.2345e-05|1.23e+03",
            ),
            (r#"{{ printf "%v %v" 1.5 100000.0 }}"#, "1.5 100000"),
            (r#"{{ printf "%s=%v" $labels.job $value }}"#, "node=0.25"),
            (r#"{{ printf "%d %s" }}"#, "%!d(MISSING) %!s(MISSING)"),
        ];
        for (t, want) in cases {
            assert_eq!(render_with(t, 0.25), want, "{t}");
        }
        assert_eq!(
            [go_shortest(1e21), go_shortest(1e20), go_shortest(0.00001)],
            ["1e+21", "100000000000000000000", "1e-05"]
        );
    }

    #[test]
    fn go_g_matches_go() {
        // Expected values are what Go's fmt.Sprintf("%.4g", v) prints.
        let cases = [
            (0.0, "0"),
            (1.0, "1"),
            (1234.5678, "1235"),
            (12345.678, "1.235e+04"),
            (0.00012345, "0.0001234"),
            (0.000012345, "1.234e-05"),
            (-2.5, "-2.5"),
            (100.0, "100"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for (v, want) in cases {
            assert_eq!(go_g4(v), want, "{v}");
        }
    }

    #[test]
    fn prometheus_functions() {
        // Expected values are what Prometheus renders for the same template and value.
        let cases = [
            ("{{ $value | humanize }}", 1234567.0, "1.235M"),
            ("{{ humanize 0.0012 }}", 0.0, "1.2m"),
            ("{{ $value | humanize1024 }}", 1048576.0, "1Mi"),
            ("{{ $value | humanizePercentage }}", 0.12345, "12.35%"),
            ("{{ $value | humanizeDuration }}", 93784.0, "1d 2h 3m 4s"),
            ("{{ $value | humanizeDuration }}", 0.25, "250ms"),
            ("{{ $value | humanizeDuration }}", 42.0, "42s"),
            ("{{ $value | humanizeTimestamp }}", 1700000000.0, "2023-11-14 22:13:20 +0000 UTC"),
            ("{{ $labels.job | toUpper }} {{ \"A B\" | toLower }}", 0.0, "NODE a b"),
            ("{{ title \"hello world\" }}", 0.0, "Hello World"),
            ("{{ $labels.instance | stripPort }}", 0.0, "host-1.example.com"),
            ("{{ $labels.instance | stripDomain }}", 0.0, "host-1:9100"),
            ("{{ reReplaceAll \"(.*):.*\" \"$1\" $labels.instance }}", 0.0, "host-1.example.com"),
            ("{{ if match \"^node$\" $labels.job }}yes{{ end }}", 0.0, "yes"),
            ("{{ printf \"%.2f\" $value }}", 1.23456, "1.23"),
            (
                "{{ $externalLabels.cluster }} {{ externalURL }} {{ pathPrefix }}",
                0.0,
                "eu1 http://ruler.example.com/thanos /thanos",
            ),
            ("{{ with args 1 \"x\" }}{{ .arg1 }}{{ end }}", 0.0, "x"),
            ("plain text", 0.0, "plain text"),
        ];
        for (t, v, want) in cases {
            assert_eq!(render_with(t, v), want, "{t}");
        }
    }

    #[test]
    fn errors_render_as_text_and_do_not_fail() {
        let out = render_with("{{ humanize \"abc\" }}", 0.0);
        assert!(out.starts_with("<error expanding template: t: "), "{out}");
    }

    #[test]
    fn unclosed_actions_are_errors_not_hangs() {
        for t in ["{{ $labels.job ", "{{", "a {{ \"}}\" ", "{{ `}}` "] {
            let out = render_with(t, 0.0);
            assert!(out.starts_with("<error expanding template: t: unclosed action"), "{t}: {out}");
            assert!(check(t).is_err());
        }
        assert_eq!(render_with("{{ \"}}\" }}", 0.0), "}}");
    }

    #[test]
    fn check_if() {
        assert!(check("{{ $labels.job }}").is_ok());
        assert!(check("{{ if }}").is_err());
    }
}
