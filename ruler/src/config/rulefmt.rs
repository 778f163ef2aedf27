//! Rule files: Prometheus' format (`groups: [{name, interval, query_offset, limit, labels, rules}]`)
//! plus Thanos' group field `partial_response_strategy: warn|abort`.
//!
//! Reading is two steps, as in Prometheus (`model/rulefmt` → `rules`): serde structs that mirror the
//! YAML exactly (unknown fields are errors), then [`validate`], which reports every problem, not just
//! the first. YAML parsers keep no positions on values, so [`Lines`] finds each group's and rule's
//! line by scanning the text in document order.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A rule file as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub groups: Vec<RuleGroup>,
}

/// A group as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleGroup {
    #[serde(default)]
    pub name: String,
    pub interval: Option<String>,
    pub query_offset: Option<String>,
    #[serde(default)]
    pub limit: u64,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Thanos: `warn` queries with `partial_response=true`, `abort` (default) with `false`.
    pub partial_response_strategy: Option<String>,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// A rule as written: exactly one of `record` and `alert` must be set.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub record: Option<String>,
    pub alert: Option<String>,
    #[serde(default)]
    pub expr: String,
    #[serde(rename = "for")]
    pub for_: Option<String>,
    pub keep_firing_for: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

impl Rule {
    /// The `record` or `alert` name.
    pub fn name(&self) -> &str {
        self.record.as_deref().or(self.alert.as_deref()).unwrap_or("")
    }
}

/// One thing wrong with a rule file, located as precisely as known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column of the faulty value, when the problem is in one field (as promtool gives it).
    pub column: Option<usize>,
    pub group: Option<String>,
    pub rule: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": ")?;
        match (&self.group, &self.rule) {
            (Some(g), Some(r)) => write!(f, "group {g:?}, rule {r:?}: ")?,
            (Some(g), None) => write!(f, "group {g:?}: ")?,
            _ => {}
        }
        f.write_str(&self.message)
    }
}

/// Reads and validates `path`. Returns the file, or every problem found in it.
pub fn load(path: &Path) -> Result<RuleFile, Vec<Problem>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Problem {
            file: path.into(),
            line: None,
            column: None,
            group: None,
            rule: None,
            message: format!("read: {e}"),
        }]
    })?;
    parse(path, &text)
}

/// Parses and validates rule-file `text` (named `path` in problems).
pub fn parse(path: &Path, text: &str) -> Result<RuleFile, Vec<Problem>> {
    let file: RuleFile = serde_yaml_ng::from_str(text).map_err(|e| {
        vec![Problem {
            file: path.into(),
            line: e.location().map(|l| l.line()),
            column: None,
            group: None,
            rule: None,
            message: format!("parse: {}", strip_location(&e.to_string())),
        }]
    })?;
    let problems = validate(path, text, &file);
    if problems.is_empty() {
        Ok(file)
    } else {
        Err(problems)
    }
}

/// serde_yaml puts "at line L column C" into its message; the line is reported separately.
fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Checks what serde cannot: names, durations, expressions, and which fields each rule kind allows.
pub fn validate(path: &Path, text: &str, file: &RuleFile) -> Vec<Problem> {
    let lines = Lines::new(text);
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut rule_cursor = 0;
    let mut group_cursor = 0;
    for group in &file.groups {
        let group_line = lines.find_group(&group.name, &mut group_cursor);
        let mut problem = |line: Option<usize>, rule: Option<&Rule>, message: String| {
            problems.push(Problem {
                file: path.into(),
                line,
                column: None,
                group: Some(group.name.clone()),
                rule: rule.map(|r| r.name().to_string()),
                message,
            })
        };
        if group.name.is_empty() {
            problem(group_line, None, "group name must not be empty".into());
        } else if !seen.insert(group.name.clone()) {
            problem(group_line, None, "group name is used twice in this file".into());
        }
        for (field, value) in [("interval", &group.interval), ("query_offset", &group.query_offset)] {
            if let Some(v) = value {
                if promapi::parse_duration(v).is_none() {
                    problem(group_line, None, format!("invalid {field} {v:?}: not a duration such as 1m"));
                }
            }
        }
        if group.interval.as_deref().and_then(promapi::parse_duration) == Some(0) {
            problem(group_line, None, "interval must be greater than zero".into());
        }
        if let Some(s) = &group.partial_response_strategy {
            if !matches!(s.to_ascii_lowercase().as_str(), "warn" | "abort") {
                problem(
                    group_line,
                    None,
                    format!("invalid partial_response_strategy {s:?}: use warn or abort"),
                );
            }
        }
        check_labels(&group.labels, "label", &mut |m| problem(group_line, None, m));

        for rule in &group.rules {
            let line = lines.find_rule(rule.name(), &mut rule_cursor);
            // A problem of the rule: at its first line; of one of its fields: at that value.
            let mut problem_at = |field: Option<&str>, message: String| {
                let at = field.zip(line).and_then(|(f, l)| lines.field(l, f));
                problems.push(Problem {
                    file: path.into(),
                    line: at.map(|(l, _)| l).or(line),
                    column: at.map(|(_, c)| c),
                    group: Some(group.name.clone()),
                    rule: Some(rule.name().to_string()),
                    message,
                })
            };
            match (&rule.record, &rule.alert) {
                (Some(_), Some(_)) => problem_at(None, "only one of 'record' and 'alert' may be set".into()),
                (None, None) => problem_at(None, "one of 'record' or 'alert' must be set".into()),
                (Some(record), None) => {
                    if !is_metric_name(record) {
                        problem_at(None, format!("invalid recording rule name {record:?}"));
                    }
                    if !rule.annotations.is_empty() {
                        problem_at(None, "recording rules cannot have annotations".into());
                    }
                    if rule.for_.is_some() {
                        problem_at(None, "recording rules cannot have 'for'".into());
                    }
                    if rule.keep_firing_for.is_some() {
                        problem_at(None, "recording rules cannot have 'keep_firing_for'".into());
                    }
                }
                (None, Some(alert)) => {
                    if alert.is_empty() {
                        problem_at(None, "alert name must not be empty".into());
                    }
                }
            }
            for (field, value) in [("for", &rule.for_), ("keep_firing_for", &rule.keep_firing_for)] {
                if let Some(v) = value {
                    if promapi::parse_duration(v).is_none() {
                        problem_at(Some(field), format!("invalid {field} {v:?}: not a duration such as 5m"));
                    }
                }
            }
            if rule.expr.trim().is_empty() {
                problem_at(None, "field 'expr' must be set".into());
            } else if let Err(e) = promql_parser::parser::parse(&rule.expr) {
                problem_at(Some("expr"), format!("could not parse expression: {}", e.trim()));
            }
            check_labels(&rule.labels, "label", &mut |m| problem_at(None, m));
            for name in rule.annotations.keys() {
                if !is_label_name(name) {
                    problem_at(None, format!("invalid annotation name {name:?}"));
                }
            }
            if rule.alert.is_some() {
                for (what, map) in [("label", &rule.labels), ("annotation", &rule.annotations)] {
                    for (name, text) in map {
                        if let Err(e) = crate::template::check(text) {
                            problem_at(None, format!("{what} {name:?}: invalid template: {e}"));
                        }
                    }
                }
            }
        }
    }
    problems
}

fn check_labels(labels: &BTreeMap<String, String>, what: &str, problem: &mut dyn FnMut(String)) {
    for name in labels.keys() {
        if name == "__name__" {
            problem(format!("{what} name {name:?} is not allowed"));
        } else if !is_label_name(name) {
            problem(format!("invalid {what} name {name:?}"));
        }
    }
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, the classic label-name rule (Prometheus 2.x).
pub fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`, the classic metric-name rule (Prometheus 2.x).
pub fn is_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Where groups and rules start, found by scanning block-style YAML in document order.
#[derive(Debug)]
pub struct Lines<'a> {
    text: Vec<&'a str>,
    /// `(line, name)` of each `name:` key (group names).
    groups: Vec<(usize, String)>,
    /// `(line, name)` of each `record:` or `alert:` key.
    rules: Vec<(usize, String)>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        let mut groups = Vec::new();
        let mut rules = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim_start().trim_start_matches("- ").trim_start();
            if let Some(v) = t.strip_prefix("name:") {
                groups.push((i + 1, unquote(v.trim())));
            } else if let Some(v) = t.strip_prefix("record:").or_else(|| t.strip_prefix("alert:")) {
                rules.push((i + 1, unquote(v.trim())));
            }
        }
        Lines { text: text.lines().collect(), groups, rules }
    }

    /// `(line, column)` of the value of `field` in the rule whose `record:`/`alert:` key is on
    /// `rule_line`: the rule's other keys sit at that key's indentation, before or after it.
    pub fn field(&self, rule_line: usize, field: &str) -> Option<(usize, usize)> {
        let at = |i: usize| self.text.get(i.checked_sub(1)?).copied();
        let indent = |l: &str| l.len() - key(l).len();
        let own = indent(at(rule_line)?);
        // The rule item starts at the `- ` line at or above its key, and ends before the next one.
        let is_sibling = |l: &str| key(l).is_empty() || key(l).starts_with('#') || indent(l) >= own;
        let starts_item = |l: &str| l.trim_start().starts_with("- ") && indent(l) == own;
        let mut first = rule_line;
        while !starts_item(at(first)?) {
            match at(first - 1) {
                Some(l) if is_sibling(l) => first -= 1,
                _ => break,
            }
        }
        let mut i = first;
        while let Some(l) = at(i) {
            if i > first && (starts_item(l) || !is_sibling(l)) {
                break;
            }
            if indent(l) == own {
                if let Some(rest) = key(l).strip_prefix(field).and_then(|r| r.strip_prefix(':')) {
                    let value = rest.trim_start();
                    return Some((i, l.len() - value.len() + 1));
                }
            }
            i += 1;
        }
        None
    }

    /// The line of the next group called `name` at or after `*cursor`, advancing the cursor.
    fn find_group(&self, name: &str, cursor: &mut usize) -> Option<usize> {
        find(&self.groups, name, cursor)
    }

    fn find_rule(&self, name: &str, cursor: &mut usize) -> Option<usize> {
        find(&self.rules, name, cursor)
    }
}

fn find(items: &[(usize, String)], name: &str, cursor: &mut usize) -> Option<usize> {
    let i = items[*cursor..].iter().position(|(_, n)| n == name)? + *cursor;
    *cursor = i + 1;
    Some(items[i].0)
}

/// A line without its indentation and list dash: where its key starts.
fn key(l: &str) -> &str {
    l.trim_start().trim_start_matches("- ").trim_start()
}

fn unquote(v: &str) -> String {
    let v = v.split(" #").next().unwrap_or(v).trim();
    if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match parse(Path::new("r.yaml"), text) {
            Ok(_) => vec![],
            Err(p) => p.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn a_good_file_has_no_problems() {
        let text = "groups:\n  - name: g\n    interval: 30s\n    partial_response_strategy: warn\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n      - alert: Down\n        expr: up == 0\n        for: 5m\n        keep_firing_for: 1m\n        labels: {severity: page}\n        annotations: {summary: \"{{ $labels.job }} down\"}\n";
        assert_eq!(problems(text), Vec::<String>::new());
        let f = parse(Path::new("r.yaml"), text).unwrap();
        assert_eq!(f.groups[0].rules.len(), 2);
        assert_eq!(f.groups[0].partial_response_strategy.as_deref(), Some("warn"));
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = "\
groups:
  - name: g
    rules:
      - record: ok
        expr: up
      - record: 'bad name'
        expr: sum(
        for: 5m
      - alert: A
        record: B
        expr: up
  - name: g
    interval: 1x
    partial_response_strategy: maybe
    rules:
      - alert: NoExpr
        labels: {__name__: x, 0bad: y}
        annotations: {summary: \"{{ $labels.job \"}
";
        let got = problems(text);
        let want = [
            r#"r.yaml:6: group "g", rule "bad name": invalid recording rule name "bad name""#,
            r#"r.yaml:6: group "g", rule "bad name": recording rules cannot have 'for'"#,
            r#"r.yaml:10: group "g", rule "B": only one of 'record' and 'alert' may be set"#,
            r#"r.yaml:12: group "g": group name is used twice in this file"#,
            r#"r.yaml:12: group "g": invalid interval "1x": not a duration such as 1m"#,
            r#"r.yaml:12: group "g": invalid partial_response_strategy "maybe": use warn or abort"#,
            r#"r.yaml:16: group "g", rule "NoExpr": field 'expr' must be set"#,
            r#"r.yaml:16: group "g", rule "NoExpr": label name "__name__" is not allowed"#,
            r#"r.yaml:16: group "g", rule "NoExpr": invalid label name "0bad""#,
            r#"r.yaml:16: group "g", rule "NoExpr": annotation "summary": invalid template: unclosed action starting at byte 0"#,
        ];
        for w in want {
            assert!(got.iter().any(|g| g == w), "missing {w}\n got: {got:#?}");
        }
        assert!(
            got.iter()
                .any(|g| g
                    .starts_with(r#"r.yaml:7:15: group "g", rule "bad name": could not parse expression"#)),
            "{got:#?}"
        );
        assert_eq!(got.len(), want.len() + 1, "{got:#?}");
    }

    #[test]
    fn a_field_s_problem_names_its_value_s_line_and_column() {
        let got = problems(
            "groups:
  - name: g
    rules:
      - expr: up == 0
        alert: ExprFirst
        for: 5 minutes
      -   alert: Wide
          labels:
            expr: not this one
          expr: |
            sum(
      - record: last
        expr: (up
",
        );
        let want = [
            r#"r.yaml:6:14: group "g", rule "ExprFirst": invalid for "5 minutes": not a duration such as 5m"#,
            r#"r.yaml:10:17: group "g", rule "Wide": could not parse expression"#,
            r#"r.yaml:13:15: group "g", rule "last": could not parse expression"#,
        ];
        assert_eq!(got.len(), want.len(), "{got:#?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.starts_with(w), "want {w}\n got {g}");
        }
    }

    #[test]
    fn yaml_and_unknown_field_errors_name_the_line() {
        let got = problems(
            "groups:\n  - name: g\n    rules:\n      - record: x\n        expr: up\n        lables: {}\n",
        );
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("r.yaml:6: parse: "), "{got:?}");
        assert!(got[0].contains("unknown field `lables`"), "{got:?}");
        let got = problems("groups:\n  - name: [unclosed\n");
        assert!(
            got[0].starts_with("r.yaml:3: parse: ") || got[0].starts_with("r.yaml:2: parse: "),
            "{got:?}"
        );
    }

    #[test]
    fn names() {
        assert!(
            is_metric_name("job:up:sum")
                && is_metric_name("_x")
                && !is_metric_name("1x")
                && !is_metric_name("a-b")
                && !is_metric_name("")
        );
        assert!(is_label_name("severity") && !is_label_name("a:b") && !is_label_name(""));
    }
}
