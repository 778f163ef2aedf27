//! `ruler backfill`: its flags, its start (rule files, addresses) and its exit codes around
//! [`crate::backfill::backfill`].

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use promapi::time::rfc3339;
use promapi::Labels;

use super::flags::RuleArgs;
use crate::backfill::{backfill, Options, Summary};
use crate::client::Client;
use crate::discovery::{DnsResolver, Endpoints};
use crate::query::http::{HttpQuerier, Method};
use crate::query::range::HttpRangeSource;
use crate::rules::group::Defaults;

/// `ruler backfill` flags: `--rule-file`, `--eval-interval`, `--rule-query-offset` and `--label` as
/// `ruler run` takes them.
#[derive(Debug, Clone, clap::Args)]
#[command(mut_arg("label", |a| a.help(
    "External label `name=\"value\"`; repeatable. Written to each block's meta.json (its Thanos section), \
     not into the series; set the same as the ruler whose history this is"
)))]
pub struct BackfillArgs {
    /// Query API to evaluate against: `http(s)://host:port[/prefix]`, or `dns+host:port`,
    /// `dnssrv+…`, `dnssrvnoa+…` (looked up once). Repeatable: each is tried in turn.
    #[arg(long = "query", required = true)]
    pub query: Vec<String>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// First evaluation time: RFC 3339 (`2024-01-02T03:04:05Z`) or unix seconds.
    #[arg(long = "start", value_parser = parse_time)]
    pub start: i64,
    /// Last evaluation time: RFC 3339 or unix seconds.
    #[arg(long = "end", value_parser = parse_time)]
    pub end: i64,
    /// Directory the blocks are written to (created if missing).
    #[arg(long = "output-dir")]
    pub output_dir: PathBuf,
    /// Range queries in flight at once.
    #[arg(long = "query.concurrency", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
}

/// Why a backfill could not start or could not finish.
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error(transparent)]
    Rules(#[from] crate::config::LoadError),
    #[error("--rule-file {0}: no rule groups")]
    NoGroups(String),
    #[error("--query {0}")]
    Query(crate::discovery::AddressError),
    #[error(transparent)]
    Dns(#[from] crate::discovery::LookupError),
    #[error("--query: no address resolved: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Unresolved(Vec<crate::discovery::LookupError>),
    #[error(transparent)]
    Client(#[from] crate::client::ClientError),
    #[error(transparent)]
    Backfill(#[from] crate::backfill::Error),
}

/// How long one request may take: the Thanos Querier's default `--query.timeout`, past which it
/// gives up anyway.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// `ruler backfill` from its flags; progress and failures on stderr.
pub fn command(args: BackfillArgs) -> ExitCode {
    if args.end < args.start {
        eprintln!("ruler backfill: --end {} is before --start {}", rfc3339(args.end), rfc3339(args.start));
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ruler backfill: start runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    match runtime.block_on(from_flags(args)) {
        Ok(s) => {
            eprintln!(
                "ruler backfill: {} blocks, {} samples from {} evaluations in {:.1}s",
                s.blocks.len(),
                s.samples,
                s.evaluations,
                started.elapsed().as_secs_f64()
            );
            if s.failed > 0 {
                eprintln!(
                    "ruler backfill: {} evaluations failed (see above); their samples are missing",
                    s.failed
                );
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ruler backfill: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn from_flags(args: BackfillArgs) -> Result<Summary, BackfillError> {
    let external_labels: Labels = args.rules.label.iter().cloned().collect();
    let defaults = Defaults {
        interval_ms: args.rules.eval_interval,
        query_offset_ms: args.rules.rule_query_offset,
        external_labels: external_labels.clone(),
        external_url: String::new(),
    };
    let groups = crate::config::load_groups(&args.rules.rule_file, &defaults)?;
    if groups.is_empty() {
        return Err(BackfillError::NoGroups(args.rules.rule_file.join(" ")));
    }
    let endpoints = Arc::new(Endpoints::parse(&args.query, None).map_err(BackfillError::Query)?);
    if endpoints.needs_refresh() {
        let resolver = DnsResolver::new(None)?;
        let failures = endpoints.refresh(&resolver).await;
        if endpoints.all().is_empty() {
            return Err(BackfillError::Unresolved(failures));
        }
    }
    let client = Client::plain(Some(REQUEST_TIMEOUT))?;
    let fallback = HttpQuerier::new(vec![client.clone(); endpoints.len()], endpoints.clone(), Method::Post);
    let options = Options {
        start: args.start,
        end: args.end,
        output_dir: args.output_dir,
        external_labels,
        concurrency: usize::from(args.concurrency),
    };
    Ok(backfill(groups, HttpRangeSource::new(client, endpoints), &fallback, &options, &mut std::io::stderr())
        .await?)
}

/// `--start` / `--end`: RFC 3339 (`2024-01-02T03:04:05Z`, `2024-01-02T04:04:05.5+01:00`) or unix seconds
/// (`1704164645`, `1704164645.5`), as promtool takes them. Returns unix ms.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let bad = || format!("{s:?} is neither RFC 3339 (2024-01-02T03:04:05Z) nor unix seconds");
    promapi::time::parse_time(s).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_rfc3339_or_unix_seconds() {
        let t = 1_700_000_000_000;
        assert_eq!(parse_time("1700000000"), Ok(t));
        assert_eq!(parse_time("1700000000.25"), Ok(t + 250));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(t));
        assert_eq!(parse_time("2023-11-14T22:13:20.5Z"), Ok(t + 500));
        assert_eq!(parse_time("2023-11-14T22:13:20.123456789Z"), Ok(t + 123));
        assert_eq!(parse_time("2023-11-14T23:43:20+01:30"), Ok(t));
        assert_eq!(parse_time("2023-11-14T21:13:20-01:00"), Ok(t));
        assert_eq!(parse_time("2023-11-14 22:13:20"), Ok(t), "no offset: UTC, as the Thanos UI's end time");
        for bad in [
            "",
            "yesterday",
            "2023-11-14",
            "2023-13-14T22:13:20Z",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20+0100",
            "inf",
        ] {
            assert!(parse_time(bad).is_err(), "{bad:?}");
        }
    }
}
