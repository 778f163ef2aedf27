//! Discovery. A Querier asks every store what it is every few seconds: v0.24 and later call
//! `thanos.info.Info/Info` first, v0.23.1 to v0.36 call (or fall back to) `thanos.Store/Info`, and
//! v0.37 dropped the latter. Both answers say: a ruler (so the Querier also uses its Rules API),
//! the external labels as its one label set, and data from the oldest sample held on. With nothing
//! held yet `min_time` is the largest time there is, as Thanos says it, so no query is sent here.

use std::sync::Arc;

use promapi::Labels;
use tonic::{Request, Response, Status};

use super::proto::thanos::info::info_server::Info;
use super::proto::thanos::info::{self as pb, RulesInfo, StoreInfo, TsdbInfo};
use super::proto::thanos::{InfoResponse, StoreType, ZLabelSet};
use super::to_wire;
use crate::storage::Storage;

/// What a ruler says about itself.
#[derive(Clone)]
pub struct Identity {
    pub storage: Arc<Storage>,
    pub external_labels: Labels,
}

impl Identity {
    /// The time range held: `[oldest sample, end of time]`.
    pub fn time_range(&self) -> (i64, i64) {
        (self.storage.min_time().unwrap_or(i64::MAX), i64::MAX)
    }

    /// The external labels as the one label set (none when there are no external labels).
    fn label_sets(&self) -> Vec<ZLabelSet> {
        if self.external_labels.is_empty() {
            return Vec::new();
        }
        vec![ZLabelSet { labels: to_wire(&self.external_labels) }]
    }

    /// `thanos.Store/Info`'s answer.
    pub fn store_info(&self) -> InfoResponse {
        let (min_time, max_time) = self.time_range();
        InfoResponse {
            labels: to_wire(&self.external_labels),
            min_time,
            max_time,
            store_type: StoreType::Rule as i32,
            label_sets: self.label_sets(),
        }
    }
}

#[tonic::async_trait]
impl Info for Identity {
    async fn info(&self, _: Request<pb::InfoRequest>) -> Result<Response<pb::InfoResponse>, Status> {
        let (min_time, max_time) = self.time_range();
        Ok(Response::new(pb::InfoResponse {
            label_sets: self.label_sets(),
            component_type: "rule".into(),
            store: Some(StoreInfo {
                min_time,
                max_time,
                // Neither is implemented: the Querier shards and strips replica labels itself.
                supports_sharding: false,
                supports_without_replica_labels: false,
                tsdb_infos: vec![TsdbInfo {
                    labels: Some(ZLabelSet { labels: to_wire(&self.external_labels) }),
                    min_time,
                    max_time,
                }],
            }),
            // Present though empty: that is how a Querier learns the Rules API is served.
            rules: Some(RulesInfo {}),
            ..Default::default()
        }))
    }
}
