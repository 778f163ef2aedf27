//! The Rules API: a Querier's `/api/v1/rules` and `/api/v1/alerts` fan out to rulers through
//! `thanos.Rules/Rules`. One frame per group, from the state the HTTP API shows, in Thanos' terms:
//! external labels in each rule's labels (not in its alerts'), durations in seconds, Go's zero time
//! for what never ran, alert values in Go's `%e` form, the rule file as given on the command line
//! (so HA replicas with the same mount merge in the Querier).

use std::pin::Pin;

use futures::Stream;
use promapi::rules as api;
use promapi::Labels;
use prost_types::Timestamp;
use tonic::{Request, Response, Status};

use super::proto::thanos::rules_server::Rules;
use super::proto::thanos::{
    rule, rules_request, rules_response, Alert, AlertInstance, AlertState, PartialResponseStrategy,
    RecordingRule, Rule, RuleGroup, RulesRequest, RulesResponse, ZLabelSet,
};
use super::{to_wire, with_external};
use crate::web::api::Published;

/// The Rules API over the groups' published state.
#[derive(Clone)]
pub struct RulesApi {
    pub published: Published,
    pub external_labels: Labels,
}

type Frames = Pin<Box<dyn Stream<Item = Result<RulesResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Rules for RulesApi {
    type RulesStream = Frames;

    async fn rules(&self, request: Request<RulesRequest>) -> Result<Response<Frames>, Status> {
        let kind = rules_request::Type::try_from(request.into_inner().r#type)
            .map_err(|_| Status::invalid_argument("unknown rule type"))?;
        // Every group, empty ones included, with the rules of other types removed, as Thanos answers.
        let groups: Vec<Result<RulesResponse, Status>> = self
            .published
            .read()
            .unwrap()
            .values()
            .map(|g| {
                Ok(RulesResponse {
                    result: Some(rules_response::Result::Group(group(g, kind, &self.external_labels))),
                })
            })
            .collect();
        Ok(Response::new(Box::pin(futures::stream::iter(groups))))
    }
}

/// Go's zero `time.Time`, which Thanos sends for what never ran.
const GO_ZERO_SECONDS: i64 = -62_135_596_800;

/// An RFC 3339 instant as a protobuf timestamp; Go's zero time when absent or unreadable.
pub fn timestamp(rfc3339: Option<&str>) -> Timestamp {
    match rfc3339.and_then(promapi::time::parse_time) {
        Some(ms) if ms > GO_ZERO_SECONDS * 1000 => {
            Timestamp { seconds: ms.div_euclid(1000), nanos: (ms.rem_euclid(1000) * 1_000_000) as i32 }
        }
        _ => Timestamp { seconds: GO_ZERO_SECONDS, nanos: 0 },
    }
}

/// A value as Go's `strconv.FormatFloat(v, 'e', -1, 64)` writes it: `1e+00`, `2.5e-07`.
pub fn go_exponent(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let s = format!("{v:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

fn state(s: &str) -> AlertState {
    match s {
        "firing" => AlertState::Firing,
        "pending" => AlertState::Pending,
        _ => AlertState::Inactive,
    }
}

fn label_set(l: &Labels) -> Option<ZLabelSet> {
    Some(ZLabelSet { labels: to_wire(l) })
}

fn group(g: &api::RuleGroup, kind: rules_request::Type, external: &Labels) -> RuleGroup {
    let strategy = match g.partial_response_strategy.as_deref() {
        Some("WARN") => PartialResponseStrategy::Warn,
        _ => PartialResponseStrategy::Abort,
    };
    let rules = g
        .rules
        .iter()
        .filter(|r| {
            matches!(
                (kind, r),
                (rules_request::Type::All, _)
                    | (rules_request::Type::Alert, api::Rule::Alerting(_))
                    | (rules_request::Type::Record, api::Rule::Recording(_))
            )
        })
        .map(|r| Rule {
            result: Some(match r {
                api::Rule::Recording(r) => rule::Result::Recording(RecordingRule {
                    name: r.name.clone(),
                    query: r.query.clone(),
                    labels: label_set(&with_external(&r.labels, external)),
                    health: r.health.clone(),
                    last_error: r.last_error.clone().unwrap_or_default(),
                    evaluation_duration_seconds: r.evaluation_time,
                    last_evaluation: Some(timestamp(Some(&r.last_evaluation))),
                }),
                api::Rule::Alerting(a) => rule::Result::Alert(Alert {
                    state: state(&a.state) as i32,
                    name: a.name.clone(),
                    query: a.query.clone(),
                    duration_seconds: a.duration,
                    labels: label_set(&with_external(&a.labels, external)),
                    annotations: label_set(&a.annotations),
                    alerts: a
                        .alerts
                        .iter()
                        .map(|i| AlertInstance {
                            labels: label_set(&i.labels),
                            annotations: label_set(&i.annotations),
                            state: state(&i.state) as i32,
                            active_at: Some(timestamp(i.active_at.as_deref())),
                            value: go_exponent(promapi::query::parse_value(&i.value).unwrap_or(f64::NAN)),
                            partial_response_strategy: strategy as i32,
                        })
                        .collect(),
                    health: a.health.clone(),
                    last_error: a.last_error.clone().unwrap_or_default(),
                    evaluation_duration_seconds: a.evaluation_time,
                    last_evaluation: Some(timestamp(Some(&a.last_evaluation))),
                    keep_firing_for_seconds: a.keep_firing_for,
                }),
            }),
        })
        .collect();
    RuleGroup {
        name: g.name.clone(),
        file: g.file.clone(),
        rules,
        interval: g.interval,
        evaluation_duration_seconds: g.evaluation_time,
        last_evaluation: Some(timestamp(Some(&g.last_evaluation))),
        partial_response_strategy: strategy as i32,
        limit: g.limit as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_go_formats_them() {
        assert_eq!(go_exponent(1.0), "1e+00");
        assert_eq!(go_exponent(0.0), "0e+00");
        assert_eq!(go_exponent(1234.5), "1.2345e+03");
        assert_eq!(go_exponent(2.5e-7), "2.5e-07");
        assert_eq!(go_exponent(-3e120), "-3e+120");
        assert_eq!(go_exponent(f64::INFINITY), "+Inf");
        assert_eq!(go_exponent(f64::NAN), "NaN");
    }

    #[test]
    fn times_and_go_zero_time() {
        assert_eq!(timestamp(Some("0001-01-01T00:00:00Z")), Timestamp { seconds: GO_ZERO_SECONDS, nanos: 0 });
        assert_eq!(timestamp(None).seconds, GO_ZERO_SECONDS);
        assert_eq!(
            timestamp(Some("2026-12-07T05:45:40.123Z")),
            Timestamp { seconds: 1_796_622_340, nanos: 123_000_000 }
        );
    }
}
