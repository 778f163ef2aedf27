//! Lets a rule read earlier recording rules' outputs during a backfill, when the querier does not hold
//! them yet: each read of such an output is replaced by the earlier rule's own expression, evaluated on
//! that rule's grid, so the querier computes what it would have stored.
//!
//! A recording rule `record: N` with expression `E`, labels `L`, evaluated every `I` with its samples
//! at `φ + k·I`, stores at each of those times `E` at that time, renamed to `N`, with `L` set. A read of
//! it at time `t` sees those samples:
//! - `N[r] offset o`: the samples in `[t-o-r, t-o]`. The subquery `(E')[r:I] offset (φ+o)` evaluates at
//!   the multiples `p` of `I` in `[t-o-φ-r, t-o-φ]`, and `E'` is `E` moved forward by `φ` (every
//!   selector's offset minus `φ`), so `E'` at `p` is `E` at `p+φ`: the same times, the same values.
//! - `N offset o`: the latest sample at or before `t-o` (within the 5m lookback): the same subquery one
//!   point wide, under `last_over_time`. A series the rule stopped producing is absent there, as its
//!   staleness marker makes it.
//! - the name and `L` are set with `label_replace`, and the selector's other matchers become `and` /
//!   `unless` against a one-series vector carrying the wanted value, so only matching series remain.
//!
//! Values before the backfill's start are computed the same way, as if the rule had run then too.
//! What cannot be moved in time (`time()` and the date functions without arguments, `@ start()` /
//! `@ end()`), `or` in selectors, and a name regex matching a recorded name are refused: the rule then
//! reads what the querier holds, and the caller says so.

use std::collections::HashMap;
use std::time::Duration;

use promapi::Labels;
use promql_parser::label::{MatchOp, Matcher};
use promql_parser::parser::{self, AtModifier, Expr, Offset, VectorSelector};

/// Prometheus' default lookback: an instant selector sees samples at most this old.
const LOOKBACK_MS: i64 = 5 * 60_000;

/// Functions whose value depends on the evaluation time itself when called without arguments.
const CLOCK_FUNCTIONS: &[&str] = &[
    "time",
    "minute",
    "hour",
    "day_of_week",
    "day_of_month",
    "day_of_year",
    "days_in_month",
    "month",
    "year",
];

/// Why a read of an earlier rule's output cannot be inlined.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Unsupported {
    #[error("{0}")]
    Parse(String),
    #[error(
        "it reads {name}, whose expression uses {what}, which cannot be moved to {name}'s evaluation times"
    )]
    Clock { name: String, what: String },
    #[error("it selects {{{0}}}, which may match recorded names")]
    NameRegex(String),
    #[error("it selects {0} with `or` between matchers")]
    OrMatchers(String),
    #[error("it reads a range of {0}, recorded by rules on different grids")]
    MixedGrids(String),
}

/// One recording rule's output, as something a query can compute.
#[derive(Debug, Clone)]
struct Recorded {
    /// The rule's expression, earlier rules already inlined into it.
    expr: Expr,
    labels: Labels,
    /// The sample times are `phase + k × interval` (ms, `0 ≤ phase < interval`).
    interval: i64,
    phase: i64,
}

/// Recording rules seen so far, by the name they record.
#[derive(Debug, Default)]
pub struct Inliner {
    records: HashMap<String, Vec<Recorded>>,
}

impl Inliner {
    /// Remembers a recording rule whose samples fall at `phase + k × interval`, with `expr` the
    /// expression it is evaluated with (already rewritten by [`Inliner::rewrite`]).
    pub fn record(&mut self, name: &str, labels: &Labels, expr: &str, interval: i64, phase: i64) {
        // An expression that does not parse fails its rule anyway; nothing reads it then.
        let Ok(expr) = parser::parse(expr) else { return };
        self.records.entry(name.to_string()).or_default().push(Recorded {
            expr,
            labels: labels.clone(),
            interval,
            phase: phase.rem_euclid(interval),
        });
    }

    /// `expr` with every read of a remembered output replaced by its computation; `None` when it
    /// reads none.
    pub fn rewrite(&self, expr: &str) -> Result<Option<String>, Unsupported> {
        if self.records.is_empty() {
            return Ok(None);
        }
        let mut ast = parser::parse(expr).map_err(Unsupported::Parse)?;
        if !self.inline(&mut ast)? {
            return Ok(None);
        }
        let text = ast.to_string();
        // What we print must parse back; if it does not, that is a bug here, not in the rule.
        parser::parse(&text).map_err(|e| Unsupported::Parse(format!("rewritten query {text:?}: {e}")))?;
        Ok(Some(text))
    }

    /// Replaces reads in `e`, depth first. Returns whether anything was replaced.
    fn inline(&self, e: &mut Expr) -> Result<bool, Unsupported> {
        let replaced = match e {
            Expr::Aggregate(a) => {
                let param = match &mut a.param {
                    Some(p) => self.inline(p)?,
                    None => false,
                };
                self.inline(&mut a.expr)? | param
            }
            Expr::Unary(u) => self.inline(&mut u.expr)?,
            Expr::Binary(b) => self.inline(&mut b.lhs)? | self.inline(&mut b.rhs)?,
            Expr::Paren(p) => self.inline(&mut p.expr)?,
            Expr::Subquery(s) => self.inline(&mut s.expr)?,
            Expr::Call(c) => {
                let mut any = false;
                for arg in &mut c.args.args {
                    any |= self.inline(arg)?;
                }
                any
            }
            Expr::VectorSelector(vs) => match self.read(vs, None)? {
                Some(text) => {
                    *e = paren(&text)?;
                    true
                }
                None => false,
            },
            Expr::MatrixSelector(ms) => match self.read(&ms.vs, Some(ms.range))? {
                Some(text) => {
                    *e = paren(&text)?;
                    true
                }
                None => false,
            },
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => false,
        };
        Ok(replaced)
    }

    /// The computation of what `vs` (with `range`, a range selector) reads, if it reads remembered
    /// outputs.
    fn read(&self, vs: &VectorSelector, range: Option<Duration>) -> Result<Option<String>, Unsupported> {
        let name_matcher = vs.matchers.matchers.iter().find(|m| m.name == "__name__");
        let name = match (&vs.name, name_matcher) {
            (Some(n), _) => n.clone(),
            (None, Some(m)) if m.op == MatchOp::Equal => m.value.clone(),
            (None, Some(m)) => {
                if self.records.keys().any(|n| m.is_match(n)) {
                    return Err(Unsupported::NameRegex(m.to_string()));
                }
                return Ok(None);
            }
            (None, None) => return Ok(None),
        };
        let Some(rules) = self.records.get(&name) else {
            return Ok(None);
        };
        if !vs.matchers.or_matchers.is_empty() {
            return Err(Unsupported::OrMatchers(vs.to_string()));
        }
        let filters: Vec<&Matcher> = vs.matchers.matchers.iter().filter(|m| m.name != "__name__").collect();
        let offset = vs.offset.as_ref().map_or(0, offset_ms);
        let at = vs.at.as_ref().map(|a| format!(" {a}")).unwrap_or_default();
        let outputs =
            rules.iter().map(|r| output(&name, r, &filters)).collect::<Result<Vec<String>, Unsupported>>()?;
        let text = match range {
            Some(range) => {
                let (interval, phase) = (rules[0].interval, rules[0].phase);
                if rules.iter().any(|r| (r.interval, r.phase) != (interval, phase)) {
                    return Err(Unsupported::MixedGrids(name));
                }
                let union = outputs.join(" or ");
                format!(
                    "({union})[{}:{}]{at}{}",
                    duration(range.as_millis() as i64),
                    duration(interval),
                    offset_suffix(phase + offset)
                )
            }
            None => {
                let latest: Vec<String> = rules
                    .iter()
                    .zip(&outputs)
                    .map(|(r, out)| {
                        // One point wide: the latest sample only, so a stopped series is absent.
                        let width = r.interval.min(LOOKBACK_MS) - 1;
                        let inner = format!(
                            "last_over_time(({out})[{}:{}]{at}{})",
                            duration(width),
                            duration(r.interval),
                            offset_suffix(r.phase + offset)
                        );
                        // `last_over_time` may drop the name depending on the engine; set it again.
                        format!(
                            "label_replace({inner}, \"__name__\", {}, \"\", \"\")",
                            quote_replacement(&name)
                        )
                    })
                    .collect();
                latest.join(" or ")
            }
        };
        Ok(Some(text))
    }
}

/// Rule `r`'s output as an instant-vector expression evaluated `r.phase` early: its expression
/// shifted, renamed, its labels set, then `filters` applied.
fn output(name: &str, r: &Recorded, filters: &[&Matcher]) -> Result<String, Unsupported> {
    let mut expr = r.expr.clone();
    if r.phase != 0 {
        shift(&mut expr, r.phase).map_err(|what| Unsupported::Clock { name: name.to_string(), what })?;
    }
    let mut out = format!("label_replace({expr}, \"__name__\", {}, \"\", \"\")", quote_replacement(name));
    for (k, v) in &r.labels {
        out = format!("label_replace({out}, {}, {}, \"\", \"\")", quote(k), quote_replacement(v));
    }
    for m in filters {
        out = filter(&out, m);
    }
    Ok(out)
}

/// `out` keeping only the series `m` matches.
fn filter(out: &str, m: &Matcher) -> String {
    /// A label no rule output carries, marking the series a regex matched.
    const MARK: &str = "__backfill_match__";
    let one = |label: &str, value: &str| {
        format!("label_replace(vector(1), {}, {}, \"\", \"\")", quote(label), quote_replacement(value))
    };
    match &m.op {
        MatchOp::Equal => format!("({out} and on ({}) {})", m.name, one(&m.name, &m.value)),
        MatchOp::NotEqual => format!("({out} unless on ({}) {})", m.name, one(&m.name, &m.value)),
        MatchOp::Re(_) | MatchOp::NotRe(_) => {
            let op = if matches!(m.op, MatchOp::Re(_)) { "and" } else { "unless" };
            let marked =
                format!("label_replace({out}, \"{MARK}\", \"1\", {}, {})", quote(&m.name), quote(&m.value));
            let kept = format!("({marked} {op} on ({MARK}) {})", one(MARK, "1"));
            format!("label_replace({kept}, \"{MARK}\", \"\", \"\", \"\")")
        }
    }
}

/// Moves `e`'s evaluation `by` ms later: every selector and subquery not pinned with `@` reads `by`
/// later (its offset minus `by`). Subqueries' insides follow their subquery. Fails, naming it, on
/// what reads the evaluation time itself.
fn shift(e: &mut Expr, by: i64) -> Result<(), String> {
    let pinned = |at: &Option<AtModifier>| -> Result<bool, String> {
        match at {
            Some(AtModifier::Start) => Err("@ start()".into()),
            Some(AtModifier::End) => Err("@ end()".into()),
            Some(AtModifier::At(_)) => Ok(true),
            None => Ok(false),
        }
    };
    match e {
        Expr::Aggregate(a) => {
            if let Some(p) = &mut a.param {
                shift(p, by)?;
            }
            shift(&mut a.expr, by)
        }
        Expr::Unary(u) => shift(&mut u.expr, by),
        Expr::Binary(b) => {
            shift(&mut b.lhs, by)?;
            shift(&mut b.rhs, by)
        }
        Expr::Paren(p) => shift(&mut p.expr, by),
        Expr::Subquery(s) => {
            if !pinned(&s.at)? {
                s.offset = moved(s.offset.as_ref(), by);
            }
            Ok(())
        }
        Expr::Call(c) => {
            if c.args.args.is_empty() && CLOCK_FUNCTIONS.contains(&c.func.name) {
                return Err(format!("{}()", c.func.name));
            }
            c.args.args.iter_mut().try_for_each(|a| shift(a, by))
        }
        Expr::VectorSelector(vs) => {
            if !pinned(&vs.at)? {
                vs.offset = moved(vs.offset.as_ref(), by);
            }
            Ok(())
        }
        Expr::MatrixSelector(ms) => {
            if !pinned(&ms.vs.at)? {
                ms.vs.offset = moved(ms.vs.offset.as_ref(), by);
            }
            Ok(())
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => Ok(()),
    }
}

fn offset_ms(o: &Offset) -> i64 {
    match o {
        Offset::Pos(d) => d.as_millis() as i64,
        Offset::Neg(d) => -(d.as_millis() as i64),
    }
}

/// `offset` read `by` ms later.
fn moved(offset: Option<&Offset>, by: i64) -> Option<Offset> {
    let ms = offset.map_or(0, offset_ms) - by;
    match ms {
        0 => None,
        ms if ms > 0 => Some(Offset::Pos(Duration::from_millis(ms as u64))),
        ms => Some(Offset::Neg(Duration::from_millis(ms.unsigned_abs()))),
    }
}

/// A PromQL duration.
fn duration(ms: i64) -> String {
    format!("{ms}ms")
}

/// ` offset …` reading `ms` earlier; nothing for 0, which PromQL refuses.
fn offset_suffix(ms: i64) -> String {
    match ms {
        0 => String::new(),
        ms if ms < 0 => format!(" offset -{}ms", ms.unsigned_abs()),
        ms => format!(" offset {ms}ms"),
    }
}

/// A PromQL string literal.
fn quote(s: &str) -> String {
    // JSON's escapes are a subset of PromQL's (Go's); the serializer cannot fail on a str.
    serde_json::to_string(s).unwrap_or_default()
}

/// A `label_replace` replacement: literal, so `$` is doubled.
fn quote_replacement(s: &str) -> String {
    quote(&s.replace('$', "$$"))
}

fn paren(text: &str) -> Result<Expr, Unsupported> {
    parser::parse(&format!("({text})")).map_err(|e| Unsupported::Parse(format!("inlined {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recording rule: name, labels, expression, interval, phase.
    type Rule<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, i64, i64);

    fn inliner(rules: &[Rule<'_>]) -> Inliner {
        let mut i = Inliner::default();
        for &(name, labels, expr, interval, phase) in rules {
            let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            i.record(name, &labels, expr, interval, phase);
        }
        i
    }

    #[test]
    fn reads_of_other_metrics_are_left_alone() {
        let i = inliner(&[("r", &[], "sum(x)", 10_000, 0)]);
        assert_eq!(i.rewrite("rate(y[5m]) > on(job) r_total"), Ok(None));
        assert_eq!(Inliner::default().rewrite("r"), Ok(None));
    }

    #[test]
    fn an_instant_read_is_the_latest_point_on_the_rules_grid() {
        let i = inliner(&[("r", &[("team", "a$1")], "sum by (job) (x)", 10_000, 3_000)]);
        let got = i.rewrite("r * 2").unwrap().unwrap();
        assert!(
            got.contains("last_over_time((label_replace(label_replace(sum by (job) (x offset -3s)"),
            "{got}"
        );
        assert!(got.contains("[9s999ms:10s] offset 3s)"), "{got}");
        assert!(got.contains(r#""team", "a$$1""#), "{got}");
        assert!(got.ends_with("* 2"), "{got}");
    }

    #[test]
    fn a_range_read_is_a_subquery_offset_by_the_phase() {
        let i = inliner(&[("r", &[], "x", 60_000, 0)]);
        let got = i.rewrite("rate(r{job=\"a\"}[5m] offset 1m)").unwrap().unwrap();
        assert!(
            got.starts_with("rate((((label_replace(x, \"__name__\", \"r\", \"\", \"\") and on (job)"),
            "{got}"
        );
        assert!(got.ends_with(")[5m:1m] offset 1m))"), "{got}");
    }

    #[test]
    fn earlier_reads_stay_inlined_in_later_rules() {
        let mut i = inliner(&[("a", &[], "x", 10_000, 0)]);
        let b = i.rewrite("sum(a)").unwrap().unwrap();
        i.record("b", &Labels::new(), &b, 10_000, 5_000);
        let c = i.rewrite("b").unwrap().unwrap();
        // b's inlined read of a is a subquery: it moves with b as a whole, its inside does not.
        assert!(c.contains("offset -5s"), "{c}");
        assert!(c.contains("label_replace(x, \"__name__\", \"a\""), "{c}");
        assert!(!c.contains("x offset"), "{c}");
    }

    #[test]
    fn what_cannot_move_is_refused() {
        let i = inliner(&[("r", &[], "time() - x", 10_000, 1_000), ("s", &[], "x", 10_000, 0)]);
        assert!(matches!(i.rewrite("r"), Err(Unsupported::Clock { .. })));
        assert!(matches!(i.rewrite("{__name__=~\"s|t\"}"), Err(Unsupported::NameRegex(_))));
        assert_eq!(i.rewrite("{__name__=~\"u.*\"}"), Ok(None));
        // Phase 0: nothing moves, so the clock is fine.
        assert!(i.rewrite("s").unwrap().is_some());
    }

    #[test]
    fn the_same_name_from_several_rules_is_their_union() {
        let i = inliner(&[("r", &[("k", "1")], "x", 10_000, 0), ("r", &[("k", "2")], "y", 10_000, 0)]);
        let got = i.rewrite("r[1m]").unwrap().unwrap();
        assert!(got.contains(" or "), "{got}");
        let j = inliner(&[("r", &[], "x", 10_000, 0), ("r", &[], "y", 20_000, 0)]);
        assert!(matches!(j.rewrite("r[1m]"), Err(Unsupported::MixedGrids(_))));
        assert!(j.rewrite("r").unwrap().is_some());
    }
}
