//! `ruler run`'s gRPC API as a Thanos Querier uses it, through a client built from our protos that
//! follows the Thanos protocol facts (no Thanos binary exists here): discovery by both Info calls,
//! Series / LabelNames / LabelValues over fresh results (checked against the real Prometheus 2.42
//! the rules query), the Rules API, wire bytes against field numbers written down here, and faults.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use promapi::rules::{AlertsData, RulesData};
use promapi::{ApiResponse, Labels};
use prost::Message;
use ruler::grpc::proto::thanos::info::info_client::InfoClient;
use ruler::grpc::proto::thanos::rules_client::RulesClient;
use ruler::grpc::proto::thanos::store_client::StoreClient;
use ruler::grpc::proto::thanos::{
    label_matcher, rule, rules_request, series_response, AlertState, LabelMatcher, LabelNamesRequest,
    LabelValuesRequest, RuleGroup, RulesRequest, Series, SeriesRequest, StoreType,
};
use ruler::tsdb::xor;
use testkit::process::{free_port, wait_ready, Alertmanager, ChildGuard, Prometheus};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic::Code;

use crate::support::{am_alerts, eventually, exporter, get_json, named};

const RULES: &str = "groups:
  - name: fresh
    interval: 1s
    rules:
      - record: e2e:value:doubled
        expr: e2e_value * 2
      - record: e2e:clock
        expr: vector(time())
      - alert: ValueHigh
        expr: e2e_value > 10
        for: 1h
        labels:
          severity: page
      - alert: AlwaysFiring
        expr: vector(1)
  - name: daily
    interval: 24h
    rules:
      - record: e2e:never
        expr: vector(1)
";

/// A real Prometheus scraping the test exporter, an Alertmanager, and a ruler started with the
/// argument list of a `thanos rule` StatefulSet (as Kubernetes passes it: quotes kept).
struct Stack {
    prom: Prometheus,
    am: Alertmanager,
    http: String,
    grpc: Channel,
    grpc_port: u16,
    rule_file: String,
    _ruler: ChildGuard,
    _dir: tempfile::TempDir,
}

async fn stack(extra: &[&str]) -> Result<Stack> {
    stack_with(extra, None).await
}

/// [`stack`], dialling the ruler's gRPC over TLS when `tls` is given.
async fn stack_with(extra: &[&str], tls: Option<ClientTlsConfig>) -> Result<Stack> {
    let dir = tempfile::tempdir()?;
    let rule_file = dir.path().join("e2e.rules.yaml");
    std::fs::write(&rule_file, RULES)?;
    let exporter = exporter().await?;
    let scrape = format!("  - job_name: demo\n    static_configs:\n      - targets: ['{exporter}']\n");
    let prom = Prometheus::start(&[("replica", "a")], &scrape, None).await?;
    let am = Alertmanager::start().await?;
    let (http_port, grpc_port) = (free_port()?, free_port()?);
    let mut args: Vec<String> = [
        "rule".to_string(),
        format!("--grpc-address=127.0.0.1:{grpc_port}"),
        format!("--http-address=127.0.0.1:{http_port}"),
        format!("--data-dir={}", dir.path().join("data").display()),
        "--label=rule_replica=\"ruler-0\"".into(),
        "--alert.label-drop=\"rule_replica\"".into(),
        format!("--rule-file={}", dir.path().join("*.rules.yaml").display()),
        format!("--query={}", prom.url),
        format!("--alertmanagers.url={}", am.url),
        "--tsdb.retention=48h".into(),
        "--log.level=info".into(),
        "--log.format=logfmt".into(),
    ]
    .into();
    args.extend(extra.iter().map(|a| a.to_string()));
    let ruler = ChildGuard::spawn(env!("CARGO_BIN_EXE_ruler"), &args, Some(&dir.path().join("ruler.log")))?;
    let http = format!("http://127.0.0.1:{http_port}");
    wait_ready(&format!("{http}/-/ready"), Duration::from_secs(20)).await?;
    let grpc = match tls {
        None => Channel::from_shared(format!("http://127.0.0.1:{grpc_port}"))?.connect().await?,
        Some(tls) => {
            Channel::from_shared(format!("https://localhost:{grpc_port}"))?.tls_config(tls)?.connect().await?
        }
    };
    Ok(Stack {
        prom,
        am,
        http,
        grpc,
        grpc_port,
        rule_file: rule_file.display().to_string(),
        _ruler: ruler,
        _dir: dir,
    })
}

fn matcher(kind: label_matcher::Type, name: &str, value: &str) -> LabelMatcher {
    LabelMatcher { r#type: kind as i32, name: name.into(), value: value.into() }
}

fn name_is(name: &str) -> LabelMatcher {
    matcher(label_matcher::Type::Eq, "__name__", name)
}

fn labels(s: &Series) -> Labels {
    s.labels.iter().map(|l| (l.name.clone(), l.value.clone())).collect()
}

/// A Series call's frames, or its status code.
async fn series_frames(grpc: &Channel, req: SeriesRequest) -> Result<Vec<Series>, tonic::Status> {
    let mut stream = StoreClient::new(grpc.clone()).series(req).await?.into_inner();
    let mut out = Vec::new();
    while let Some(frame) = stream.message().await? {
        if let Some(series_response::Result::Series(s)) = frame.result {
            out.push(s);
        }
    }
    Ok(out)
}

/// Each series' samples, decoded, after checking what a Querier relies on: label names sorted,
/// series in label order, one series' frames contiguous, raw XOR chunks whose bounds are their first
/// and last sample, no chunkless series.
fn decode(frames: &[Series]) -> Result<BTreeMap<Labels, Vec<(i64, f64)>>> {
    let mut out: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
    let mut last: Option<Labels> = None;
    for s in frames {
        let names: Vec<&str> = s.labels.iter().map(|l| l.name.as_str()).collect();
        ensure!(names.windows(2).all(|w| w[0] < w[1]), "label names not sorted: {names:?}");
        let l = labels(s);
        if last.as_ref() != Some(&l) {
            ensure!(last.as_ref().is_none_or(|p| p < &l), "series out of order: {last:?} then {l:?}");
            ensure!(!out.contains_key(&l), "frames of {l:?} not contiguous");
        }
        ensure!(!s.chunks.is_empty(), "a chunkless series: {l:?}");
        for c in &s.chunks {
            let raw = c.raw.as_ref().context("a chunk without raw data")?;
            ensure!(raw.r#type == 0, "not XOR");
            let samples = xor::decode(&raw.data)?;
            ensure!(
                samples.first().map(|s| s.0) == Some(c.min_time)
                    && samples.last().map(|s| s.0) == Some(c.max_time),
                "chunk bounds [{}, {}] are not its samples' {:?}..{:?}",
                c.min_time,
                c.max_time,
                samples.first(),
                samples.last()
            );
            out.entry(l.clone()).or_default().extend(samples);
        }
        last = Some(l);
    }
    for samples in out.values() {
        ensure!(samples.windows(2).all(|w| w[0].0 < w[1].0), "samples repeated or out of order");
    }
    Ok(out)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// The value Prometheus gives `expr` at `t_ms` for the series whose labels are `want`.
async fn prometheus_value(prom: &str, expr: &str, t_ms: i64, want: &Labels) -> Result<Option<f64>> {
    let url = format!(
        "{prom}/api/v1/query?query={}&time={}",
        form_urlencoded::byte_serialize(expr.as_bytes()).collect::<String>(),
        t_ms as f64 / 1000.0
    );
    let r: serde_json::Value = get_json(&url).await?;
    Ok(r["data"]["result"].as_array().into_iter().flatten().find_map(|s| {
        let l: Labels = serde_json::from_value(s["metric"].clone()).ok()?;
        (&l == want).then(|| s["value"][1].as_str()?.parse().ok()).flatten()
    }))
}

async fn rule_groups(grpc: &Channel, kind: rules_request::Type) -> Result<Vec<RuleGroup>> {
    let req = RulesRequest { r#type: kind as i32, ..Default::default() };
    let mut stream = RulesClient::new(grpc.clone()).rules(req).await?.into_inner();
    let mut out = Vec::new();
    while let Some(frame) = stream.message().await? {
        if let Some(ruler::grpc::proto::thanos::rules_response::Result::Group(g)) = frame.result {
            out.push(g);
        }
    }
    Ok(out)
}

/// Reads a protobuf message's top-level fields as (field number, wire type, payload): varints as
/// their value's bytes, length-delimited fields as their bytes. Written from the encoding spec, so
/// that the checks below do not go through our generated code.
fn fields(mut b: &[u8]) -> Vec<(u64, u8, Vec<u8>)> {
    fn varint(b: &mut &[u8]) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        while let Some((&x, rest)) = b.split_first() {
            *b = rest;
            v |= u64::from(x & 0x7f) << shift;
            shift += 7;
            if x < 0x80 {
                break;
            }
        }
        v
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        let key = varint(&mut b);
        let (field, wire) = (key >> 3, (key & 7) as u8);
        let payload = match wire {
            0 => varint(&mut b).to_le_bytes().to_vec(),
            2 => {
                let n = varint(&mut b) as usize;
                let (p, rest) = b.split_at(n);
                b = rest;
                p.to_vec()
            }
            1 => {
                let (p, rest) = b.split_at(8);
                b = rest;
                p.to_vec()
            }
            _ => panic!("unexpected wire type {wire}"),
        };
        out.push((field, wire, payload));
    }
    out
}

fn field(msg: &[u8], number: u64) -> Vec<Vec<u8>> {
    fields(msg).into_iter().filter(|f| f.0 == number).map(|f| f.2).collect()
}

fn varint_field(msg: &[u8], number: u64) -> Option<i64> {
    field(msg, number).first().map(|b| i64::from_le_bytes(b[..8].try_into().unwrap()))
}

#[tokio::test]
async fn a_querier_finds_the_ruler_reads_its_fresh_results_and_its_rules() -> Result<()> {
    let s = stack(&[]).await?;
    let ext: Labels = [("rule_replica".to_string(), "ruler-0".to_string())].into();

    // Discovery, both ways; min_time is live: the end of time until something is stored.
    let info = eventually("Info to report stored data", || async {
        let i = InfoClient::new(s.grpc.clone())
            .info(ruler::grpc::proto::thanos::info::InfoRequest::default())
            .await?
            .into_inner();
        Ok(i.store.as_ref().is_some_and(|st| st.min_time < i64::MAX).then_some(i))
    })
    .await?;
    assert_eq!(info.component_type, "rule");
    assert!(info.rules.is_some(), "the Rules API is announced by an (empty) rules message");
    let store = info.store.clone().unwrap();
    assert!(store.min_time <= now_ms() && store.min_time > now_ms() - 60_000, "{}", store.min_time);
    assert_eq!(store.max_time, i64::MAX);
    let label_sets: Vec<Labels> = info
        .label_sets
        .iter()
        .map(|ls| ls.labels.iter().map(|l| (l.name.clone(), l.value.clone())).collect())
        .collect();
    assert_eq!(label_sets, std::slice::from_ref(&ext));
    let old = StoreClient::new(s.grpc.clone())
        .info(ruler::grpc::proto::thanos::InfoRequest::default())
        .await?
        .into_inner();
    assert_eq!(old.store_type, StoreType::Rule as i32);
    assert_eq!(old.min_time, store.min_time);
    assert_eq!(old.label_sets, info.label_sets);

    // Wire bytes against the field numbers of the protocol facts: InfoResponse{label_sets=1,
    // ComponentType=2, store=3 (min_time=1, max_time=2), rules=4 present and empty}.
    let bytes = info.encode_to_vec();
    assert_eq!(field(&bytes, 2), [b"rule".to_vec()]);
    assert_eq!(field(&bytes, 4), [Vec::<u8>::new()], "rules: tag 4, length 0");
    let store_bytes = &field(&bytes, 3)[0];
    assert_eq!(varint_field(store_bytes, 1), Some(store.min_time));
    assert_eq!(varint_field(store_bytes, 2), Some(i64::MAX));
    let label_set = &field(&bytes, 1)[0];
    let label = &field(label_set, 1)[0];
    assert_eq!(
        (field(label, 1), field(label, 2)),
        (vec![b"rule_replica".to_vec()], vec![b"ruler-0".to_vec()])
    );
    // Store/Info: storeType is field 4, RULE = 2.
    assert_eq!(varint_field(&old.encode_to_vec(), 4), Some(2));

    // Read-after-write: the evaluation the API reports is readable at once.
    let mut checked = 0;
    for _ in 0..10 {
        if checked == 3 {
            break;
        }
        let rules: ApiResponse<RulesData> = get_json(&format!("{}/api/v1/rules", s.http)).await?;
        let fresh = rules.data.unwrap().groups.into_iter().find(|g| g.name == "fresh").unwrap();
        let Some(t) = promapi::time::parse_time(&fresh.last_evaluation).filter(|t| *t > 0) else {
            tokio::time::sleep(Duration::from_millis(300)).await;
            continue;
        };
        let req = SeriesRequest {
            min_time: t,
            max_time: t,
            matchers: vec![name_is("e2e:clock")],
            ..Default::default()
        };
        let got = decode(&series_frames(&s.grpc, req).await?)?;
        let mut want_labels = ext.clone();
        want_labels.insert("__name__".into(), "e2e:clock".into());
        assert_eq!(
            got.get(&want_labels),
            Some(&vec![(t, t as f64 / 1000.0)]),
            "the sample of the evaluation at {t}"
        );
        checked += 1;
        // The next evaluation, a second later.
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }
    assert_eq!(checked, 3, "evaluations read back right after they were reported");

    // Recording results equal Prometheus' answer for the rule's expression at the same instants,
    // once a few seconds of them exist (Prometheus scrapes the exporter every second).
    let req = |now: i64| SeriesRequest {
        min_time: now - 5_000,
        max_time: now,
        matchers: vec![name_is("e2e:value:doubled")],
        ..Default::default()
    };
    let frames = eventually("a few seconds of both series", || async {
        let frames = series_frames(&s.grpc, req(now_ms())).await?;
        let got = decode(&frames)?;
        Ok((got.len() == 2 && got.values().all(|v| v.len() >= 3)).then_some(frames))
    })
    .await?;
    let req = req(now_ms());
    let series_bytes = frames[0].encode_to_vec();
    let got = decode(&frames)?;
    let mut compared = 0;
    for (l, samples) in &got {
        assert_eq!(l.get("rule_replica"), Some(&"ruler-0".to_string()), "external labels merged in");
        let mut want = l.clone();
        want.remove("__name__");
        want.remove("rule_replica");
        for &(t, v) in samples {
            assert_eq!(
                prometheus_value(&s.prom.url, "e2e_value * 2", t, &want).await?,
                Some(v),
                "{l:?} at {t}"
            );
            compared += 1;
        }
    }
    assert!(compared >= 4, "only {compared} samples compared");
    // Series wire bytes: Series{labels=1 (name=1, value=2), chunks=2: AggrChunk{min_time=1,
    // max_time=2, raw=3: Chunk{type=1 (XOR=0, so absent), data=2}}}.
    let first_label = &field(&series_bytes, 1)[0];
    assert_eq!(field(first_label, 1), [b"__name__".to_vec()]);
    let aggr = &field(&series_bytes, 2)[0];
    let raw = &field(aggr, 3)[0];
    assert!(field(raw, 1).is_empty(), "XOR is the zero value");
    let data = &field(raw, 2)[0];
    let samples = xor::decode(data)?;
    assert_eq!(varint_field(aggr, 1), Some(samples[0].0));
    assert_eq!(varint_field(aggr, 2), Some(samples[samples.len() - 1].0));

    // Matchers of every type, external-label matchers decided against the ruler's own value.
    use label_matcher::Type::*;
    let grpc = &s.grpc;
    let count = |ms: Vec<LabelMatcher>| {
        let mut r = req.clone();
        r.matchers = ms;
        async move { series_frames(grpc, r).await.map(|f| decode(&f).map(|d| d.len())) }
    };
    assert_eq!(count(vec![name_is("e2e:value:doubled"), matcher(Eq, "id", "big")]).await??, 1);
    assert_eq!(count(vec![name_is("e2e:value:doubled"), matcher(Neq, "id", "big")]).await??, 1);
    assert_eq!(count(vec![name_is("e2e:value:doubled"), matcher(Re, "id", "b.*")]).await??, 1);
    assert_eq!(count(vec![name_is("e2e:value:doubled"), matcher(Re, "id", "bi")]).await??, 0, "anchored");
    assert_eq!(count(vec![name_is("e2e:value:doubled"), matcher(Nre, "id", "b.*")]).await??, 1);
    assert_eq!(count(vec![name_is("e2e:value:doubled"), matcher(Eq, "rule_replica", "ruler-0")]).await??, 2);
    assert_eq!(count(vec![name_is("e2e:value:doubled"), matcher(Eq, "rule_replica", "ruler-1")]).await??, 0);
    assert_eq!(
        count(vec![matcher(Re, "__name__", "e2e:.*"), matcher(Re, "rule_replica", "ruler-.")]).await??,
        3
    );
    let only_ext = count(vec![matcher(Eq, "rule_replica", "ruler-0")]).await.unwrap_err();
    assert_eq!(only_ext.code(), Code::InvalidArgument, "{only_ext:?}");
    let bad = count(vec![matcher(Re, "__name__", "(")]).await.unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().contains("bad regex"), "{}", bad.message());

    // Every series of the ruler in one call: sorted by final labels, and skip_chunks gives the same
    // series without chunks.
    let mut all = req.clone();
    all.matchers = vec![matcher(Re, "__name__", ".+")];
    let every = decode(&series_frames(&s.grpc, all.clone()).await?)?;
    let names: BTreeSet<&str> = every.keys().map(|l| l["__name__"].as_str()).collect();
    assert_eq!(names, BTreeSet::from(["ALERTS", "ALERTS_FOR_STATE", "e2e:clock", "e2e:value:doubled"]));
    all.skip_chunks = true;
    let skipped = series_frames(&s.grpc, all).await?;
    assert!(skipped.iter().all(|f| f.chunks.is_empty()));
    assert_eq!(skipped.iter().map(labels).collect::<Vec<_>>(), every.keys().cloned().collect::<Vec<_>>());

    // ALERTS agrees with the ruler's own /api/v1/alerts.
    let alerts: ApiResponse<AlertsData> = get_json(&format!("{}/api/v1/alerts", s.http)).await?;
    let now = now_ms();
    let req = SeriesRequest {
        min_time: now - 1_500,
        max_time: now,
        matchers: vec![name_is("ALERTS")],
        ..Default::default()
    };
    let from_grpc: BTreeSet<(String, String)> = decode(&series_frames(&s.grpc, req).await?)?
        .into_keys()
        .map(|l| (l["alertname"].clone(), l["alertstate"].clone()))
        .collect();
    let from_api: BTreeSet<(String, String)> =
        alerts.data.unwrap().alerts.into_iter().map(|a| (a.labels["alertname"].clone(), a.state)).collect();
    assert_eq!(from_grpc, from_api);
    assert!(from_api.contains(&("AlwaysFiring".into(), "firing".into())));
    assert!(from_api.contains(&("ValueHigh".into(), "pending".into())));

    // Label names and values, external labels included.
    let mut store = StoreClient::new(s.grpc.clone());
    let names = store
        .label_names(LabelNamesRequest {
            start: now - 10_000,
            end: now,
            matchers: vec![name_is("e2e:value:doubled")],
            ..Default::default()
        })
        .await?
        .into_inner()
        .names;
    assert_eq!(names, ["__name__", "id", "instance", "job", "rule_replica"]);
    let values = |label: &str| {
        let req = LabelValuesRequest {
            label: label.into(),
            start: now - 10_000,
            end: now,
            matchers: vec![name_is("e2e:value:doubled")],
            ..Default::default()
        };
        let mut store = store.clone();
        async move { store.label_values(req).await.map(|r| r.into_inner().values) }
    };
    assert_eq!(values("id").await?, ["big", "small"]);
    assert_eq!(values("rule_replica").await?, ["ruler-0"]);
    assert_eq!(values("").await.unwrap_err().code(), Code::InvalidArgument);

    // Rules: one group per frame, types filtered, states in v0.23..v0.40 numbering, Go's zero time
    // for the group that has not run, external labels in rules' labels but not in alerts'.
    let all = rule_groups(&s.grpc, rules_request::Type::All).await?;
    assert_eq!(all.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["daily", "fresh"]);
    assert!(all.iter().all(|g| g.file == s.rule_file), "the file as given");
    let daily = &all[0];
    assert_eq!(daily.last_evaluation.as_ref().map(|t| t.seconds), Some(-62_135_596_800));
    assert_eq!(daily.interval, 86_400.0);
    let fresh = &all[1];
    assert!(fresh.last_evaluation.as_ref().is_some_and(|t| t.seconds > 1_700_000_000));
    let alert = |name: &str| {
        fresh.rules.iter().find_map(|r| match &r.result {
            Some(rule::Result::Alert(a)) if a.name == name => Some(a.clone()),
            _ => None,
        })
    };
    let firing = alert("AlwaysFiring").context("AlwaysFiring")?;
    assert_eq!(firing.state, AlertState::Firing as i32);
    assert_eq!(firing.alerts[0].value, "1e+00");
    assert!(firing.labels.as_ref().unwrap().labels.iter().any(|l| l.name == "rule_replica"));
    assert!(firing.alerts[0].labels.as_ref().unwrap().labels.iter().all(|l| l.name != "rule_replica"));
    let pending = alert("ValueHigh").context("ValueHigh")?;
    assert_eq!((pending.state, pending.duration_seconds), (AlertState::Pending as i32, 3600.0));
    assert_eq!(pending.alerts[0].value, "1.234567e+06");
    assert!(pending.alerts[0].active_at.as_ref().is_some_and(|t| t.seconds > 1_700_000_000));
    let only = |kind| async move {
        let groups = rule_groups(grpc, kind).await?;
        anyhow::Ok(
            groups
                .iter()
                .flat_map(|g| &g.rules)
                .map(|r| matches!(r.result, Some(rule::Result::Alert(_))))
                .collect::<Vec<bool>>(),
        )
    };
    assert_eq!(only(rules_request::Type::Alert).await?, [true, true]);
    assert_eq!(only(rules_request::Type::Record).await?, [false, false, false]);

    // The quoted --alert.label-drop worked: Alertmanager gets the alert without the replica label.
    let held = eventually("Alertmanager to hold AlwaysFiring", || async {
        let a = am_alerts(&s.am.url).await?;
        Ok(named(&a, "AlwaysFiring").cloned())
    })
    .await?;
    assert!(held["labels"].get("rule_replica").is_none(), "{held}");
    Ok(())
}

#[tokio::test]
async fn series_across_blocks_and_head_and_requests_that_cannot_be_served() -> Result<()> {
    // Blocks of 4 s: within seconds the results lie in several blocks and the head.
    let s = stack(&[
        "--tsdb.block-duration=4s",
        "--store.limits.request-series=3",
        "--store.limits.request-samples=60",
    ])
    .await?;
    let start = now_ms();
    let data = s._dir.path().join("data");
    eventually("three blocks cut", || async {
        let blocks = std::fs::read_dir(&data)?
            .filter_map(|e| e.ok())
            .filter(|e| ulid::Ulid::from_string(&e.file_name().to_string_lossy()).is_ok())
            .count();
        // The first window may hold a single sample: three make the read span full blocks.
        Ok((blocks >= 3).then_some(()))
    })
    .await?;
    let clock = |min_time: i64, max_time: i64| SeriesRequest {
        min_time,
        max_time,
        matchers: vec![name_is("e2e:clock")],
        ..Default::default()
    };
    let end = now_ms();
    let got = decode(&series_frames(&s.grpc, clock(start - 60_000, end)).await?)?;
    let samples = got.values().next().context("e2e:clock")?;
    assert!(samples.len() >= 8, "{} samples", samples.len());
    for w in samples.windows(2) {
        assert_eq!(w[1].0 - w[0].0, 1_000, "one sample per evaluation, none lost or repeated: {w:?}");
    }
    assert!(samples.iter().all(|&(t, v)| v == t as f64 / 1000.0));
    // Inside one block only, and inside the head only: the same samples as the whole read gives.
    let (first, last) = (samples[0].0, samples[samples.len() - 1].0);
    let inner = decode(&series_frames(&s.grpc, clock(first + 1_000, first + 2_000)).await?)?;
    let inner_ts: Vec<i64> = inner.values().next().unwrap().iter().map(|s| s.0).collect();
    assert!(inner_ts.contains(&(first + 1_000)) && inner_ts.contains(&(first + 2_000)), "{inner_ts:?}");
    let head = decode(&series_frames(&s.grpc, clock(last, last)).await?)?;
    assert_eq!(head.values().next().unwrap(), &vec![(last, last as f64 / 1000.0)]);

    // A client that goes away mid-stream leaves the server serving.
    let mut stream = StoreClient::new(s.grpc.clone()).series(clock(0, i64::MAX)).await?.into_inner();
    stream.message().await?;
    drop(stream);
    assert_eq!(decode(&series_frames(&s.grpc, clock(last, last)).await?)?.len(), 1);

    // Limits: more series than allowed, then more samples, each a clear ResourceExhausted.
    let many = SeriesRequest {
        matchers: vec![matcher(label_matcher::Type::Re, "__name__", ".+")],
        ..clock(0, i64::MAX)
    };
    let e = series_frames(&s.grpc, many).await.unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
    assert!(e.message().contains("--store.limits.request-series"), "{}", e.message());
    // Three series of about one sample a second pass 60 samples within half a minute.
    let three = SeriesRequest {
        matchers: vec![matcher(label_matcher::Type::Re, "__name__", "e2e:.*")],
        ..clock(0, i64::MAX)
    };
    let e = eventually("more than 60 samples held", || async {
        Ok(series_frames(&s.grpc, three.clone()).await.err().filter(|e| e.code() == Code::ResourceExhausted))
    })
    .await?;
    assert!(e.message().contains("--store.limits.request-samples"), "{}", e.message());
    // Malformed: a matcher type that does not exist.
    let odd = SeriesRequest {
        matchers: vec![LabelMatcher { r#type: 7, name: "__name__".into(), value: "x".into() }],
        ..clock(0, i64::MAX)
    };
    assert_eq!(series_frames(&s.grpc, odd).await.unwrap_err().code(), Code::InvalidArgument);
    // Still alive after all of it.
    assert_eq!(decode(&series_frames(&s.grpc, clock(last, last)).await?)?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn grpc_over_tls_with_client_certificates() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let certs = testkit::certs::Certs::make(dir.path())?;
    let pem = |p: &std::path::Path| std::fs::read(p);
    let ca = Certificate::from_pem(pem(&certs.ca)?);
    let with_cert = ClientTlsConfig::new()
        .ca_certificate(ca.clone())
        .identity(Identity::from_pem(pem(&certs.client_cert)?, pem(&certs.client_key)?));
    // The server's files as a Secret mounts them: replaced in place when they are renewed.
    let mounted = dir.path().join("mounted");
    std::fs::create_dir(&mounted)?;
    let (cert, key) = (mounted.join("tls.crt"), mounted.join("tls.key"));
    std::fs::copy(&certs.server_cert, &cert)?;
    std::fs::copy(&certs.server_key, &key)?;
    let flags = [
        format!("--grpc-server-tls-cert={}", cert.display()),
        format!("--grpc-server-tls-key={}", key.display()),
        format!("--grpc-server-tls-client-ca={}", certs.ca.display()),
    ];
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let s = stack_with(&flags, Some(with_cert)).await?;
    let info = InfoClient::new(s.grpc.clone())
        .info(ruler::grpc::proto::thanos::info::InfoRequest::default())
        .await?;
    assert_eq!(info.into_inner().component_type, "rule");

    // Without a client certificate, or in plain text, no call gets through.
    let port = s.grpc_port;
    let no_cert = Channel::from_shared(format!("https://localhost:{port}"))?
        .tls_config(ClientTlsConfig::new().ca_certificate(ca))?
        .connect()
        .await;
    let refused = match no_cert {
        Err(_) => true,
        Ok(ch) => {
            InfoClient::new(ch).info(ruler::grpc::proto::thanos::info::InfoRequest::default()).await.is_err()
        }
    };
    assert!(refused, "a client without a certificate was served");
    let plain = Channel::from_shared(format!("http://127.0.0.1:{port}"))?.connect().await;
    let refused = match plain {
        Err(_) => true,
        Ok(ch) => {
            InfoClient::new(ch).info(ruler::grpc::proto::thanos::info::InfoRequest::default()).await.is_err()
        }
    };
    assert!(refused, "a plain-text client was served");

    // Renewed by another CA: new connections get the new certificate, without a restart.
    let renewed = testkit::certs::Certs::make(&dir.path().join("renewed"))?;
    std::fs::copy(&renewed.server_cert, &cert)?;
    std::fs::copy(&renewed.server_key, &key)?;
    let client = |ca: &std::path::Path| -> Result<ClientTlsConfig> {
        Ok(ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(pem(ca)?))
            .identity(Identity::from_pem(pem(&certs.client_cert)?, pem(&certs.client_key)?)))
    };
    let answers = |tls: ClientTlsConfig| async move {
        let channel =
            Channel::from_shared(format!("https://localhost:{port}"))?.tls_config(tls)?.connect().await;
        match channel {
            Err(_) => Ok::<bool, anyhow::Error>(false),
            Ok(ch) => Ok(InfoClient::new(ch)
                .info(ruler::grpc::proto::thanos::info::InfoRequest::default())
                .await
                .is_ok()),
        }
    };
    assert!(answers(client(&renewed.ca)?).await?, "the renewed certificate is served");
    assert!(!answers(client(&certs.ca)?).await?, "the old one is not");
    // A half-written renewal (a key that does not match) keeps the last good pair.
    std::fs::copy(&certs.server_key, &key)?;
    assert!(answers(client(&renewed.ca)?).await?, "the last good certificate stays");

    // A key file that is not there stops the ruler at start, naming the flag.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ruler"))
        .args([
            "run",
            "--query=http://127.0.0.1:9",
            &format!("--rule-file={}", dir.path().join("none-*.yaml").display()),
            &format!("--http-address=127.0.0.1:{}", free_port()?),
            &format!("--grpc-address=127.0.0.1:{}", free_port()?),
            &format!("--data-dir={}", dir.path().join("data").display()),
            &format!("--grpc-server-tls-cert={}", certs.server_cert.display()),
            &format!("--grpc-server-tls-key={}", dir.path().join("missing.key").display()),
        ])
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--grpc-server-tls-key") && stderr.contains("missing.key"), "{stderr}");
    Ok(())
}
