//! StoreAPI label matchers with Prometheus' semantics: regexes match the whole value, and a label a
//! series lacks reads as the empty string. Matchers on external labels are decided against the
//! ruler's own values, as Thanos decides them; only the rest reach the stored series.

use promapi::Labels;
use promql_parser::label::Matcher as PromMatcher;
use promql_parser::parser::token;

use super::proto::thanos::{label_matcher, LabelMatcher};
use crate::tsdb::LabelSet;

/// One matcher, ready to test values: promql-parser's, which anchors regexes as Prometheus does and
/// accepts Go's literal braces (`a{b}`), as `/federate` selectors do.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    inner: PromMatcher,
}

/// A matcher that cannot be used; the request is invalid.
#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    #[error("matcher on {name:?}: bad regex {value:?}: {reason}")]
    Regex { name: String, value: String, reason: String },
    #[error("matcher on {name:?}: unknown type {kind}")]
    Type { name: String, kind: i32 },
}

impl Matcher {
    pub fn parse(m: &LabelMatcher) -> Result<Matcher, MatcherError> {
        let op = match label_matcher::Type::try_from(m.r#type) {
            Ok(label_matcher::Type::Eq) => token::T_EQL,
            Ok(label_matcher::Type::Neq) => token::T_NEQ,
            Ok(label_matcher::Type::Re) => token::T_EQL_REGEX,
            Ok(label_matcher::Type::Nre) => token::T_NEQ_REGEX,
            Err(_) => return Err(MatcherError::Type { name: m.name.clone(), kind: m.r#type }),
        };
        let inner = PromMatcher::new_matcher(op, m.name.clone(), m.value.clone())
            .map_err(|reason| MatcherError::Regex { name: m.name.clone(), value: m.value.clone(), reason })?;
        Ok(Matcher { name: m.name.clone(), inner })
    }

    pub fn matches_value(&self, v: &str) -> bool {
        self.inner.is_match(v)
    }

    pub fn matches(&self, labels: &LabelSet) -> bool {
        self.matches_value(labels.get(&self.name).unwrap_or(""))
    }
}

/// What is left to select once matchers on external labels are decided.
#[derive(Debug)]
pub enum Selection {
    /// An external-label matcher failed: the ruler holds nothing the request wants.
    Nothing,
    /// Series that match all of these (possibly none: all series).
    Series(Vec<Matcher>),
}

/// Parses `matchers` and decides those on `external` label names against the external values.
pub fn select(matchers: &[LabelMatcher], external: &Labels) -> Result<Selection, MatcherError> {
    let mut rest = Vec::new();
    for m in matchers {
        let m = Matcher::parse(m)?;
        match external.get(&m.name) {
            Some(v) if !m.matches_value(v) => return Ok(Selection::Nothing),
            Some(_) => {}
            None => rest.push(m),
        }
    }
    Ok(Selection::Series(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(kind: label_matcher::Type, name: &str, value: &str) -> LabelMatcher {
        LabelMatcher { r#type: kind as i32, name: name.into(), value: value.into() }
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn prometheus_semantics() {
        use label_matcher::Type::*;
        let l = labels(&[("__name__", "up"), ("job", "api-1")]);
        let yes = |x: LabelMatcher| Matcher::parse(&x).unwrap().matches(&LabelSet::from(&l));
        assert!(yes(m(Eq, "job", "api-1")));
        assert!(!yes(m(Eq, "job", "api")));
        assert!(yes(m(Neq, "job", "api")));
        assert!(yes(m(Re, "job", "api-.")));
        assert!(!yes(m(Re, "job", "api")), "anchored at the end");
        assert!(!yes(m(Re, "job", "pi-1")), "anchored at the start");
        assert!(yes(m(Re, "job", "db|api-1")), "alternation inside the anchors");
        assert!(yes(m(Nre, "job", "db.*")));
        assert!(yes(m(Eq, "missing", "")), "a missing label is empty");
        assert!(yes(m(Re, "missing", ".*")));
        assert!(!yes(m(Re, "missing", ".+")));
        assert!(yes(m(Re, "job", "api-1|x{y}")), "Go's literal braces");
        let bad = Matcher::parse(&m(Re, "job", "(")).unwrap_err().to_string();
        assert!(bad.contains("bad regex"), "{bad}");
        let bad = LabelMatcher { r#type: 9, name: "job".into(), value: String::new() };
        assert!(Matcher::parse(&bad).unwrap_err().to_string().contains("unknown type 9"));
    }

    #[test]
    fn external_labels_are_decided_by_their_values() {
        use label_matcher::Type::*;
        let ext = labels(&[("rule_replica", "a")]);
        let names = |s: Selection| match s {
            Selection::Nothing => None,
            Selection::Series(ms) => Some(ms.into_iter().map(|m| m.name).collect::<Vec<_>>()),
        };
        let sel = |ms: &[LabelMatcher]| names(select(ms, &ext).unwrap());
        assert_eq!(sel(&[m(Eq, "rule_replica", "a"), m(Eq, "__name__", "x")]), Some(vec!["__name__".into()]));
        assert_eq!(sel(&[m(Eq, "rule_replica", "b"), m(Eq, "__name__", "x")]), None);
        assert_eq!(sel(&[m(Re, "rule_replica", "a|b")]), Some(vec![]));
        assert_eq!(sel(&[m(Nre, "rule_replica", "a")]), None);
    }
}
