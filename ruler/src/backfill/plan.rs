//! What a backfill fetches: each group's slots in the range with the queries for its rules
//! ([`Plan`]), cut into one job per group and 2h window ([`Job`]).

use std::io::Write;
use std::ops::Range;

use super::inline::Inliner;
use crate::query::range::Grid;
use crate::rules::group::{Group, Rule};

/// One group's evaluations between `--start` and `--end`: what to fetch and on which grid.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// First and last slot (evaluation times) in the range.
    pub(super) first: i64,
    pub(super) last: i64,
    pub(super) interval: i64,
    pub(super) query_offset: i64,
    pub(super) partial_response: bool,
    /// The rules' expressions, each once, with the query sent for it (earlier outputs inlined).
    pub(super) exprs: Vec<(String, String)>,
}

impl Plan {
    /// `g`'s plan; its recording rules are added to `inliner` for the rules after them. Reads that
    /// cannot be inlined are reported on `progress`.
    pub(super) fn new(
        g: &Group,
        start: i64,
        end: i64,
        inliner: &mut Inliner,
        progress: &mut dyn Write,
    ) -> Plan {
        let mut exprs: Vec<(String, String)> = Vec::new();
        // Samples are stamped at the query time: the live slots minus query_offset.
        let phase = (g.offset_ms() - g.query_offset_ms).rem_euclid(g.interval_ms);
        for (rule, _) in &g.rules {
            let query = match inliner.rewrite(rule.expr()) {
                Ok(query) => query.unwrap_or_else(|| rule.expr().to_string()),
                Err(why) => {
                    let _ = writeln!(
                        progress,
                        "warning: group {:?}, rule {:?} reads what the querier holds: {why}",
                        g.name,
                        rule.name()
                    );
                    rule.expr().to_string()
                }
            };
            if let Rule::Recording(r) = rule {
                inliner.record(&r.name, &r.labels, &query, g.interval_ms, phase);
            }
            if !exprs.iter().any(|(e, _)| e == rule.expr()) {
                exprs.push((rule.expr().to_string(), query));
            }
        }
        Plan {
            // The first slot at or after `start`.
            first: g.eval_timestamp(start - 1) + g.interval_ms,
            last: g.eval_timestamp(end),
            interval: g.interval_ms,
            query_offset: g.query_offset_ms,
            partial_response: g.partial_response,
            exprs,
        }
    }

    /// Query times of the evaluations whose samples (stamped at the query time) fall in `window`.
    pub(super) fn grid_in(&self, window: &Range<i64>) -> Option<Grid> {
        if self.exprs.is_empty() {
            return None;
        }
        let lo = (window.start + self.query_offset).max(self.first);
        let hi = (window.end - 1 + self.query_offset).min(self.last);
        let k_lo = (lo - self.first + self.interval - 1).div_euclid(self.interval);
        let k_hi = (hi - self.first).div_euclid(self.interval);
        let slot = |k: i64| self.first + k * self.interval - self.query_offset;
        (k_lo <= k_hi).then(|| Grid { start: slot(k_lo), end: slot(k_hi), step: self.interval })
    }

    /// Sample times this group's evaluations produce.
    pub(super) fn sample_span(&self) -> Option<(i64, i64)> {
        (self.first <= self.last && !self.exprs.is_empty())
            .then(|| (self.first - self.query_offset, self.last - self.query_offset))
    }
}

/// One group's evaluations in one window.
#[derive(Debug, Clone, Copy)]
pub(super) struct Job {
    pub(super) window: i64,
    pub(super) group: usize,
    /// Query times.
    pub(super) grid: Grid,
}
