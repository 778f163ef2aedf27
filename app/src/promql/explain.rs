//! The expression explained as a tree: each node its sub-expression, what it is, and in plain words
//! what it does (grouping labels, `on`/`ignoring`, `group_left`), as the Prometheus v3 Explain tab
//! does, but computed here so it works against a Thanos Querier. Runs in the parser worker (it needs
//! promql-parser); the tree travels to the page as [`ExprNode`].

use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr, LabelModifier, VectorMatchCardinality};
use serde::{Deserialize, Serialize};

/// One node of an explained expression: its text, what it is, what it does, its operands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExprNode {
    pub expr: String,
    pub kind: String,
    pub words: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ExprNode>,
}

/// The tree of `expr`, or promql-parser's error.
pub fn explain(expr: &str) -> Result<ExprNode, String> {
    parser::parse(expr).map(|e| node(&e))
}

fn node(e: &Expr) -> ExprNode {
    let (kind, words, children): (&str, String, Vec<&Expr>) = match e {
        Expr::Aggregate(a) => {
            let op = a.op.to_string();
            let by = match &a.modifier {
                Some(LabelModifier::Include(l)) if l.labels.is_empty() => {
                    "into one series, dropping every label".to_string()
                }
                Some(LabelModifier::Include(l)) => {
                    format!(
                        "into one series per distinct value of {}, keeping only those labels",
                        list(&l.labels)
                    )
                }
                Some(LabelModifier::Exclude(l)) => {
                    format!(
                        "into one series per distinct set of the other labels, dropping {}",
                        list(&l.labels)
                    )
                }
                None => "into one series, dropping every label".to_string(),
            };
            let param = a.param.as_deref().map(|p| format!(" (parameter {p})")).unwrap_or_default();
            let mut children = vec![a.expr.as_ref()];
            if let Some(p) = a.param.as_deref() {
                children.insert(0, p);
            }
            ("aggregation", format!("{} of the input series{param}, {by}.", aggregation_words(&op)), children)
        }
        Expr::Binary(b) => ("binary operator", binary_words(b), vec![b.lhs.as_ref(), b.rhs.as_ref()]),
        Expr::Unary(u) => ("negation", "The input with every value negated.".into(), vec![u.expr.as_ref()]),
        Expr::Paren(p) => {
            ("parentheses", "Groups its content; changes nothing.".into(), vec![p.expr.as_ref()])
        }
        Expr::Subquery(s) => {
            let step = s
                .step
                .map(|d| format!("every {}", duration(d)))
                .unwrap_or_else(|| "at the default resolution".into());
            (
                "subquery",
                format!(
                    "Evaluates its content {step} over the last {}{}, as a range for the function around it.",
                    duration(s.range),
                    shifts(
                        s.offset.as_ref().map(ToString::to_string),
                        s.at.as_ref().map(ToString::to_string)
                    )
                ),
                vec![s.expr.as_ref()],
            )
        }
        Expr::NumberLiteral(n) => ("number", format!("The number {}.", n.val), vec![]),
        Expr::StringLiteral(s) => ("string", format!("The string {:?}.", s.val), vec![]),
        Expr::VectorSelector(vs) => (
            "selector",
            format!(
                "The latest sample (within the lookback) of every series {}{}.",
                selection(vs),
                shifts(vs.offset.as_ref().map(ToString::to_string), vs.at.as_ref().map(ToString::to_string))
            ),
            vec![],
        ),
        Expr::MatrixSelector(ms) => (
            "range selector",
            format!(
                "The samples of the last {} of every series {}{}.",
                duration(ms.range),
                selection(&ms.vs),
                shifts(
                    ms.vs.offset.as_ref().map(ToString::to_string),
                    ms.vs.at.as_ref().map(ToString::to_string)
                )
            ),
            vec![],
        ),
        Expr::Call(c) => {
            ("function", function_words(c.func.name), c.args.args.iter().map(|a| a.as_ref()).collect())
        }
        Expr::Extension(_) => ("extension", String::new(), vec![]),
    };
    ExprNode {
        expr: e.to_string(),
        kind: kind.into(),
        words,
        children: children.into_iter().map(node).collect(),
    }
}

fn list(labels: &[String]) -> String {
    if labels.is_empty() {
        return "no label".into();
    }
    labels.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")
}

fn duration(d: std::time::Duration) -> String {
    promapi::format_duration(d.as_millis() as i64)
}

fn shifts(offset: Option<String>, at: Option<String>) -> String {
    let mut out = String::new();
    if let Some(o) = offset {
        out += &format!(", shifted {o} into the past");
    }
    if let Some(a) = at {
        out += &format!(", evaluated {a}");
    }
    out
}

/// `named "x" where job="a" and code=~"5.."`.
fn selection(vs: &parser::VectorSelector) -> String {
    let mut out = vs.name.as_ref().map(|n| format!("named `{n}`")).unwrap_or_default();
    let conditions: Vec<String> = vs
        .matchers
        .matchers
        .iter()
        .filter(|m| !(m.name == "__name__" && vs.name.is_some()))
        .map(|m| {
            let how = match &m.op {
                MatchOp::Equal => "is",
                MatchOp::NotEqual => "is not",
                MatchOp::Re(_) => "matches",
                MatchOp::NotRe(_) => "does not match",
            };
            format!("`{}` {how} {:?}", m.name, m.value)
        })
        .collect();
    if !conditions.is_empty() {
        if !out.is_empty() {
            out += " ";
        }
        out += &format!("where {}", conditions.join(" and "));
    }
    if out.is_empty() {
        "(any)".into()
    } else {
        out
    }
}

fn aggregation_words(op: &str) -> String {
    match op {
        "sum" => "Sums",
        "avg" => "Averages",
        "min" => "Takes the minimum",
        "max" => "Takes the maximum",
        "count" => "Counts",
        "group" => "Groups (value 1)",
        "stddev" => "Takes the standard deviation",
        "stdvar" => "Takes the standard variance",
        "topk" => "Keeps the k largest",
        "bottomk" => "Keeps the k smallest",
        "quantile" => "Takes the φ-quantile",
        "count_values" => "Counts the series per value",
        other => return format!("Aggregates ({other})"),
    }
    .into()
}

fn binary_words(b: &parser::BinaryExpr) -> String {
    let op = b.op.to_string();
    let lhs_scalar = matches!(b.lhs.value_type(), parser::value::ValueType::Scalar);
    let rhs_scalar = matches!(b.rhs.value_type(), parser::value::ValueType::Scalar);
    let what = if b.op.is_set_operator() {
        match op.as_str() {
            "and" => "Keeps the left series that have a match on the right",
            "or" => "Keeps every left series, and the right series that have no match on the left",
            _ => "Keeps the left series that have no match on the right",
        }
        .to_string()
    } else if b.op.is_comparison_operator() {
        let bool_ = b.modifier.as_ref().is_some_and(|m| m.return_bool);
        if bool_ {
            format!("Compares with `{op}` and returns 1 where true and 0 where false")
        } else {
            format!("Keeps the left values for which `{op}` holds (a filter)")
        }
    } else {
        format!("Applies `{op}`")
    };
    if lhs_scalar && rhs_scalar {
        return format!("Applies `{op}` to two scalars.");
    }
    if lhs_scalar || rhs_scalar {
        let side = if rhs_scalar { "the scalar on the right" } else { "the scalar on the left" };
        let bool_ = b.modifier.as_ref().is_some_and(|m| m.return_bool);
        return match (b.op.is_comparison_operator(), bool_) {
            (true, true) => {
                format!("Compares each value with {side} by `{op}`: 1 where true, 0 where false.")
            }
            (true, false) => {
                format!("Keeps the values for which `{op}` with {side} holds, and drops the rest (a filter).")
            }
            _ => format!("Applies `{op}` between each value and {side}."),
        };
    }
    let matching = match b.modifier.as_ref().and_then(|m| m.matching.as_ref()) {
        Some(LabelModifier::Include(l)) => format!("series are matched on {} only", list(&l.labels)),
        Some(LabelModifier::Exclude(l)) => {
            format!("series are matched on all labels except {}", list(&l.labels))
        }
        None => "series are matched when all their labels (the metric name aside) are equal".into(),
    };
    let card = match b.modifier.as_ref().map(|m| &m.card) {
        Some(VectorMatchCardinality::ManyToOne(l)) => format!(
            "; many-to-one (`group_left`): several left series may match one right series{}",
            if l.labels.is_empty() {
                String::new()
            } else {
                format!(", and {} are copied from it", list(&l.labels))
            }
        ),
        Some(VectorMatchCardinality::OneToMany(l)) => format!(
            "; one-to-many (`group_right`): several right series may match one left series{}",
            if l.labels.is_empty() {
                String::new()
            } else {
                format!(", and {} are copied from it", list(&l.labels))
            }
        ),
        Some(VectorMatchCardinality::ManyToMany) => String::new(),
        _ => "; one-to-one: each left series must match at most one right series".into(),
    };
    format!("{what} between two vectors: {matching}{card}.")
}

fn function_words(name: &str) -> String {
    let doc = match name {
        "rate" => {
            "The per-second average rate of increase of each counter over its range, adjusted for resets."
        }
        "irate" => "The per-second rate of each counter from its last two samples in the range.",
        "increase" => "The increase of each counter over its range, adjusted for resets.",
        "delta" => "The difference between the first and last value of each gauge over its range.",
        "deriv" => "The per-second derivative of each gauge over its range (linear regression).",
        "histogram_quantile" => {
            "The φ-quantile estimated from the `le` buckets of classic histograms (or native ones)."
        }
        "abs" => "The absolute value of each sample.",
        "absent" => "1 with the selector's labels if the input has no series, else nothing.",
        "absent_over_time" => "1 if the range holds no samples, else nothing.",
        "avg_over_time" => "The average of each series' samples over its range.",
        "sum_over_time" => "The sum of each series' samples over its range.",
        "max_over_time" => "The maximum of each series' samples over its range.",
        "min_over_time" => "The minimum of each series' samples over its range.",
        "count_over_time" => "The number of samples of each series in its range.",
        "last_over_time" => "The latest sample of each series in its range.",
        "quantile_over_time" => "The φ-quantile of each series' samples over its range.",
        "label_replace" => "Sets a label from a regex match on another label's value.",
        "label_join" => "Sets a label to other labels' values joined by a separator.",
        "clamp_min" | "clamp_max" | "clamp" => "Limits each value to a bound.",
        "round" | "ceil" | "floor" => "Rounds each value.",
        "time" => "The evaluation time in seconds since the epoch.",
        "timestamp" => "The timestamp of each sample.",
        "vector" => "The scalar as a vector with one series without labels.",
        "scalar" => "The value of a one-series vector as a scalar (NaN otherwise).",
        "sort" | "sort_desc" => "Sorts the series by value (instant queries).",
        "changes" => "How many times each series' value changed in its range.",
        "resets" => "How many counter resets each series had in its range.",
        "predict_linear" => "Each gauge's value predicted some seconds ahead by linear regression.",
        _ => return format!("Calls `{name}` on its arguments."),
    };
    doc.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregations_and_matching_in_words() {
        let t = explain("sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) / ignoring (code) group_left sum by (job) (rate(http_requests_total[5m]))").unwrap();
        assert_eq!(t.kind, "binary operator");
        assert!(t.words.contains("all labels except `code`"), "{}", t.words);
        assert!(t.words.contains("many-to-one"), "{}", t.words);
        let sum = &t.children[0];
        assert_eq!(sum.expr, "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m]))");
        assert!(sum.words.starts_with("Sums") && sum.words.contains("`job`"), "{}", sum.words);
        let rate = &sum.children[0];
        assert_eq!(rate.kind, "function");
        let range = &rate.children[0];
        assert_eq!(range.kind, "range selector");
        assert!(
            range.words.contains("last 5m") && range.words.contains("`code` matches \"5..\""),
            "{}",
            range.words
        );
    }

    #[test]
    fn scalars_filters_and_errors() {
        let t = explain("up == bool 1").unwrap();
        assert_eq!(
            t.words,
            "Compares each value with the scalar on the right by `==`: 1 where true, 0 where false."
        );
        assert_eq!(
            explain("up > 0").unwrap().words,
            "Keeps the values for which `>` with the scalar on the right holds, and drops the rest (a filter)."
        );
        assert_eq!(
            explain("2 * up").unwrap().words,
            "Applies `*` between each value and the scalar on the left."
        );
        assert_eq!(explain("1 + 2").unwrap().words, "Applies `+` to two scalars.");
        assert!(explain("sum(").is_err());
        let w = explain("max without (instance) (up offset 5m)").unwrap();
        assert!(w.words.contains("dropping `instance`"), "{}", w.words);
        assert!(w.children[0].words.contains("shifted 5m"), "{}", w.children[0].words);
    }
}
