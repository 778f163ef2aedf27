//! Prometheus relabelling (`relabel_config`), as `--alert.relabel-config(-file)` applies it to every
//! alert: the same YAML, defaults, checks and actions as Prometheus 2.42, written from its
//! documentation (`configuration.md#relabel_config`).
//!
//! Each rule joins its `source_labels`' values with `separator` and matches the fully anchored
//! `regex` against the result; `replacement` and `target_label` may refer to the regex's groups
//! (`$1`, `${name}`). Rules run in order on the result of the previous one; `keep`, `drop`,
//! `keepequal` and `dropequal` can drop the alert altogether.

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use promapi::Labels;
use regex::Regex;
use serde::Deserialize;

use crate::config::rulefmt::is_label_name;

/// A relabelling file or flag that cannot be used, in Prometheus' words where it has them.
#[derive(Debug, thiserror::Error)]
pub enum RelabelError {
    #[error("{0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    #[error("relabel config {index}: {reason}")]
    Invalid { index: usize, reason: String },
}

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Action {
    #[default]
    Replace,
    Keep,
    Drop,
    KeepEqual,
    DropEqual,
    HashMod,
    LabelMap,
    LabelDrop,
    LabelKeep,
    Lowercase,
    Uppercase,
}

impl Action {
    fn parse(s: &str) -> Option<Action> {
        // Prometheus reads action names in any case.
        Some(match s.to_ascii_lowercase().as_str() {
            "replace" => Action::Replace,
            "keep" => Action::Keep,
            "drop" => Action::Drop,
            "keepequal" => Action::KeepEqual,
            "dropequal" => Action::DropEqual,
            "hashmod" => Action::HashMod,
            "labelmap" => Action::LabelMap,
            "labeldrop" => Action::LabelDrop,
            "labelkeep" => Action::LabelKeep,
            "lowercase" => Action::Lowercase,
            "uppercase" => Action::Uppercase,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }
}

/// One `relabel_config` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    source_labels: Option<Vec<String>>,
    separator: Option<String>,
    target_label: Option<String>,
    regex: Option<String>,
    modulus: Option<u64>,
    replacement: Option<String>,
    action: Option<String>,
}

/// One rule, checked.
#[derive(Debug, Clone)]
pub struct Rule {
    source_labels: Vec<String>,
    separator: String,
    target_label: String,
    /// `^(?:regex)$`.
    regex: Regex,
    modulus: u64,
    replacement: String,
    action: Action,
}

const DEFAULT_SEPARATOR: &str = ";";
const DEFAULT_REGEX: &str = "(.*)";
const DEFAULT_REPLACEMENT: &str = "$1";

/// A `target_label` of `replace`: a label name in which `$1` / `${name}` may stand for groups.
fn valid_target_template(s: &str) -> bool {
    static TARGET: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    TARGET
        .get_or_init(|| Regex::new(r"^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$").expect("a valid regex"))
        .is_match(s)
}

impl Rule {
    fn check(raw: RawRule, index: usize) -> Result<Rule, RelabelError> {
        let invalid = |reason: String| RelabelError::Invalid { index, reason };
        let action = match raw.action.as_deref() {
            None => Action::Replace,
            Some("") => return Err(invalid("relabel action cannot be empty".into())),
            Some(a) => Action::parse(a).ok_or_else(|| invalid(format!("unknown relabel action {a:?}")))?,
        };
        let pattern = raw.regex.clone().unwrap_or_else(|| DEFAULT_REGEX.into());
        let regex = Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| invalid(format!("invalid regex {pattern:?}: {e}")))?;
        let rule = Rule {
            source_labels: raw.source_labels.clone().unwrap_or_default(),
            separator: raw.separator.clone().unwrap_or_else(|| DEFAULT_SEPARATOR.into()),
            target_label: raw.target_label.clone().unwrap_or_default(),
            regex,
            modulus: raw.modulus.unwrap_or(0),
            replacement: raw.replacement.clone().unwrap_or_else(|| DEFAULT_REPLACEMENT.into()),
            action,
        };
        let name = action.name();
        let target = rule.target_label.as_str();
        use Action::*;
        if action == HashMod && rule.modulus == 0 {
            return Err(invalid("relabel configuration for hashmod requires non-zero modulus".into()));
        }
        if matches!(action, Replace | HashMod | Lowercase | Uppercase | KeepEqual | DropEqual)
            && target.is_empty()
        {
            return Err(invalid(format!(
                "relabel configuration for {name} action requires 'target_label' value"
            )));
        }
        let bad_target = match action {
            Replace => !valid_target_template(target),
            Lowercase | Uppercase | KeepEqual | DropEqual | HashMod => !is_label_name(target),
            _ => false,
        };
        if bad_target {
            return Err(invalid(format!("{target:?} is invalid 'target_label' for {name} action")));
        }
        if matches!(action, KeepEqual | DropEqual)
            && (raw.regex.is_some()
                || raw.modulus.is_some()
                || raw.separator.is_some()
                || raw.replacement.is_some())
        {
            return Err(invalid(format!(
                "{name} action requires only 'source_labels' and 'target_label', and no other fields"
            )));
        }
        if matches!(action, LabelDrop | LabelKeep)
            && (raw.source_labels.is_some()
                || raw.target_label.is_some()
                || raw.modulus.is_some()
                || raw.separator.as_deref().is_some_and(|s| s != DEFAULT_SEPARATOR)
                || raw.replacement.as_deref().is_some_and(|s| s != DEFAULT_REPLACEMENT))
        {
            return Err(invalid(format!("{name} action requires only 'regex', and no other fields")));
        }
        Ok(rule)
    }

    /// Applies this rule to `labels`; false when the alert is to be dropped.
    fn apply(&self, labels: &mut Labels) -> bool {
        let value = self
            .source_labels
            .iter()
            .map(|l| labels.get(l).map_or("", String::as_str))
            .collect::<Vec<_>>()
            .join(&self.separator);
        let target = || labels.get(&self.target_label).map_or("", String::as_str).to_string();
        match self.action {
            Action::Drop => return !self.regex.is_match(&value),
            Action::Keep => return self.regex.is_match(&value),
            Action::DropEqual => return target() != value,
            Action::KeepEqual => return target() == value,
            Action::Replace => {
                let Some(caps) = self.regex.captures(&value) else { return true };
                let mut name = String::new();
                caps.expand(&self.target_label, &mut name);
                if !is_label_name(&name) {
                    return true;
                }
                let mut replaced = String::new();
                caps.expand(&self.replacement, &mut replaced);
                if replaced.is_empty() {
                    labels.remove(&name);
                } else {
                    labels.insert(name, replaced);
                }
            }
            Action::Lowercase => {
                labels.insert(self.target_label.clone(), value.to_lowercase());
            }
            Action::Uppercase => {
                labels.insert(self.target_label.clone(), value.to_uppercase());
            }
            Action::HashMod => {
                let hash = Md5::digest(value.as_bytes());
                // The digest's last eight bytes, big-endian, as Prometheus reads it.
                let low: [u8; 8] = hash[8..].try_into().expect("a 16-byte digest");
                labels
                    .insert(self.target_label.clone(), (u64::from_be_bytes(low) % self.modulus).to_string());
            }
            Action::LabelMap => {
                let mapped: BTreeMap<String, String> = labels
                    .iter()
                    .filter(|(name, _)| self.regex.is_match(name))
                    .map(|(name, v)| {
                        (self.regex.replace_all(name, self.replacement.as_str()).into_owned(), v.clone())
                    })
                    .collect();
                labels.extend(mapped);
            }
            Action::LabelDrop => labels.retain(|name, _| !self.regex.is_match(name)),
            Action::LabelKeep => labels.retain(|name, _| self.regex.is_match(name)),
        }
        true
    }
}

/// A list of rules, applied in order.
#[derive(Debug, Clone, Default)]
pub struct Relabel(Vec<Rule>);

impl Relabel {
    /// Reads a YAML list of `relabel_config`s (an empty document: none).
    pub fn parse(yaml: &str) -> Result<Relabel, RelabelError> {
        if yaml.trim().is_empty() {
            return Ok(Relabel::default());
        }
        let raw: Option<Vec<RawRule>> = serde_yaml_ng::from_str(yaml)?;
        let rules: Result<Vec<Rule>, _> =
            raw.unwrap_or_default().into_iter().enumerate().map(|(i, r)| Rule::check(r, i)).collect();
        Ok(Relabel(rules?))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `labels` relabelled; `None` when a rule drops them. Labels left empty drop them too.
    pub fn apply(&self, mut labels: Labels) -> Option<Labels> {
        for rule in &self.0 {
            if !rule.apply(&mut labels) {
                return None;
            }
        }
        (!labels.is_empty()).then_some(labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    type Pairs = [(&'static str, &'static str)];

    fn run(yaml: &str, input: &[(&str, &str)]) -> Option<Labels> {
        Relabel::parse(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}")).apply(labels(input))
    }

    /// Each action against the output Prometheus' documentation gives for it.
    #[test]
    fn every_action_as_prometheus_documents_it() {
        let alert = [("alertname", "HighLatency"), ("severity", "Page"), ("instance", "web-1:9100")];
        let cases: &[(&str, Option<&Pairs>)] = &[
            // replace: groups into the value; a non-matching regex changes nothing.
            (
                "- source_labels: [instance]\n  regex: '(.*):\\d+'\n  target_label: host",
                Some(&[("alertname", "HighLatency"), ("host", "web-1"), ("instance", "web-1:9100"), ("severity", "Page")]),
            ),
            ("- source_labels: [instance]\n  regex: 'db-.*'\n  target_label: host", Some(&alert)),
            // replace with the defaults: the joined value, `;` between sources.
            (
                "- source_labels: [alertname, severity]\n  target_label: key",
                Some(&[("alertname", "HighLatency"), ("instance", "web-1:9100"), ("key", "HighLatency;Page"), ("severity", "Page")]),
            ),
            // An empty replacement removes the target; the target may be a template.
            ("- source_labels: [nothing]\n  target_label: severity", Some(&[("alertname", "HighLatency"), ("instance", "web-1:9100")])),
            (
                "- source_labels: [severity]\n  regex: '(.*)'\n  target_label: 'sev_${1}'\n  replacement: set",
                Some(&[("alertname", "HighLatency"), ("instance", "web-1:9100"), ("sev_Page", "set"), ("severity", "Page")]),
            ),
            // keep and drop match the whole value (anchored).
            ("- source_labels: [severity]\n  regex: Page\n  action: keep", Some(&alert)),
            ("- source_labels: [severity]\n  regex: Pag\n  action: keep", None),
            ("- source_labels: [severity]\n  regex: 'P.*'\n  action: drop", None),
            ("- source_labels: [severity]\n  regex: ge\n  action: Drop", Some(&alert)),
            // keepequal / dropequal compare with the target label's value.
            ("- source_labels: [severity]\n  target_label: severity\n  action: keepequal", Some(&alert)),
            ("- source_labels: [alertname]\n  target_label: severity\n  action: keepequal", None),
            ("- source_labels: [severity]\n  target_label: severity\n  action: dropequal", None),
            // lowercase / uppercase.
            (
                "- source_labels: [severity]\n  target_label: severity\n  action: lowercase",
                Some(&[("alertname", "HighLatency"), ("instance", "web-1:9100"), ("severity", "page")]),
            ),
            (
                "- source_labels: [alertname]\n  target_label: name\n  action: uppercase",
                Some(&[("alertname", "HighLatency"), ("instance", "web-1:9100"), ("name", "HIGHLATENCY"), ("severity", "Page")]),
            ),
            // labelmap copies matching names under the replacement; labeldrop / labelkeep by name.
            (
                "- regex: 'sever(.*)'\n  replacement: 'x_sever$1'\n  action: labelmap",
                Some(&[("alertname", "HighLatency"), ("instance", "web-1:9100"), ("severity", "Page"), ("x_severity", "Page")]),
            ),
            ("- regex: 'inst.*|sev.*'\n  action: labeldrop", Some(&[("alertname", "HighLatency")])),
            ("- regex: 'alertname'\n  action: labelkeep", Some(&[("alertname", "HighLatency")])),
            ("- regex: 'nothing'\n  action: labelkeep", None),
        ];
        for (yaml, want) in cases {
            let want = want.map(labels);
            assert_eq!(run(yaml, &alert), want, "{yaml}");
        }
    }

    #[test]
    fn hashmod_takes_the_low_eight_bytes_of_the_md5() {
        // md5("web-1:9100") = 7e4c…; its last eight bytes, big-endian, modulo 1000, worked out here.
        let digest = Md5::digest(b"web-1:9100");
        let low = u64::from_be_bytes(digest[8..].try_into().unwrap());
        let got = run(
            "- source_labels: [instance]\n  modulus: 1000\n  target_label: shard\n  action: hashmod",
            &[("instance", "web-1:9100")],
        )
        .unwrap();
        assert_eq!(got["shard"], (low % 1000).to_string());
        // md5("") = d41d8cd98f00b204e9800998ecf8427e: low half 0xe9800998ecf8427e.
        let empty =
            run("- source_labels: [x]\n  modulus: 16\n  target_label: s\n  action: hashmod", &[("a", "b")]);
        assert_eq!(empty.unwrap()["s"], (0xe9800998ecf8427e_u64 % 16).to_string());
    }

    #[test]
    fn rules_run_in_order_on_each_others_results() {
        let yaml = "- source_labels: [a]\n  target_label: b\n- source_labels: [b]\n  regex: '(.)(.)'\n  replacement: '$2$1'\n  target_label: c";
        assert_eq!(run(yaml, &[("a", "xy")]), Some(labels(&[("a", "xy"), ("b", "xy"), ("c", "yx")])));
    }

    #[test]
    fn bad_configs_say_what_is_wrong() {
        let err = |yaml: &str| Relabel::parse(yaml).unwrap_err().to_string();
        assert!(err("- action: hashmod\n  target_label: x").contains("non-zero modulus"));
        assert!(err("- source_labels: [a]").contains("requires 'target_label'"));
        assert!(err("- target_label: '1x'").contains("invalid 'target_label'"));
        assert!(err("- regex: a\n  target_label: x\n  action: labeldrop").contains("only 'regex'"));
        assert!(err("- source_labels: [a]\n  target_label: b\n  regex: x\n  action: keepequal")
            .contains("no other fields"));
        assert!(err("- action: shuffle").contains("unknown relabel action"));
        assert!(err("- regex: '('\n  target_label: x").contains("invalid regex"));
        assert!(err("- sorce_labels: [a]").contains("unknown field"));
        assert!(err("- target_label: x\n- action: ''").starts_with("relabel config 1:"));
        assert!(Relabel::parse("").unwrap().is_empty());
    }
}
