//! `meta.json`: the block's ULID, time range, stats and compaction state (Prometheus' `BlockMeta`,
//! version 1) plus the `thanos` section that Thanos' shipper, store and compactor read.

use std::path::Path;

use promapi::Labels;
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use super::Error;

/// The only meta.json version; Prometheus silently skips blocks with any other.
pub const META_VERSION: u32 = 1;
/// The `thanos.source` of blocks this ruler writes.
pub const THANOS_SOURCE_RULER: &str = "ruler";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// Equals the block's directory name.
    pub ulid: Ulid,
    /// Inclusive, ms.
    pub min_time: i64,
    /// Exclusive, ms.
    pub max_time: i64,
    #[serde(default)]
    pub stats: Stats,
    pub compaction: Compaction,
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thanos: Option<Thanos>,
}

/// Counts over the whole block. Prometheus never checks them, but Thanos' shipper skips blocks without
/// samples and its compactor plans with them, so they must be exact. Zero fields are left out, as Go's
/// `omitempty` does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_samples: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_series: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_chunks: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_tombstones: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A freshly written block is level 1 with itself as its only source; Thanos' compactor requires that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compaction {
    pub level: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Ulid>,
}

/// Thanos' own section (`pkg/block/metadata`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thanos {
    /// Thanos reads 0 (absent) as 1 and rejects anything else.
    #[serde(default)]
    pub version: u32,
    /// The producer's external labels; Thanos refuses to upload a block without any.
    pub labels: Labels,
    pub downsample: Downsample,
    pub source: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Downsample {
    /// 0 for raw data.
    pub resolution: i64,
}

impl Meta {
    /// The meta of a new level-1 block written by the ruler.
    pub fn new_ruler_block(
        ulid: Ulid,
        min_time: i64,
        max_time: i64,
        stats: Stats,
        external_labels: Labels,
    ) -> Meta {
        Meta {
            ulid,
            min_time,
            max_time,
            stats,
            compaction: Compaction { level: 1, sources: vec![ulid] },
            version: META_VERSION,
            thanos: Some(Thanos {
                version: 1,
                labels: external_labels,
                downsample: Downsample { resolution: 0 },
                source: THANOS_SOURCE_RULER.to_string(),
            }),
        }
    }

    /// Tab-indented JSON, as Prometheus writes it.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            serde_json::ser::PrettyFormatter::with_indent(b"\t"),
        );
        self.serialize(&mut ser).expect("meta serializes");
        out.push(b'\n');
        out
    }

    /// Parses and checks the versions readers insist on.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Meta, Error> {
        let meta: Meta = serde_json::from_slice(bytes)
            .map_err(|source| Error::Meta { path: path.to_path_buf(), source })?;
        if meta.version != META_VERSION {
            return Err(Error::Version { what: "meta.json", expected: META_VERSION, got: meta.version });
        }
        if let Some(t) = &meta.thanos {
            if t.version > 1 {
                return Err(Error::Version { what: "meta.json thanos section", expected: 1, got: t.version });
            }
        }
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        let ulid = Ulid::from_string("01HZZZZZZZZZZZZZZZZZZZZZZZ").unwrap();
        let stats = Stats { num_samples: 483, num_series: 3, num_chunks: 5, num_tombstones: 0 };
        let labels = Labels::from([
            ("cluster".to_string(), "eu1".to_string()),
            ("replica".to_string(), "a".to_string()),
        ]);
        Meta::new_ruler_block(ulid, 1_672_531_200_000, 1_672_538_400_000, stats, labels)
    }

    #[test]
    fn json_has_prometheus_and_thanos_field_names() {
        let v: serde_json::Value = serde_json::from_slice(&meta().to_json()).unwrap();
        let want = serde_json::json!({
            "ulid": "01HZZZZZZZZZZZZZZZZZZZZZZZ",
            "minTime": 1_672_531_200_000i64,
            "maxTime": 1_672_538_400_000i64,
            "stats": {"numSamples": 483, "numSeries": 3, "numChunks": 5},
            "compaction": {"level": 1, "sources": ["01HZZZZZZZZZZZZZZZZZZZZZZZ"]},
            "version": 1,
            "thanos": {"version": 1, "labels": {"cluster": "eu1", "replica": "a"}, "downsample": {"resolution": 0}, "source": "ruler"}
        });
        assert_eq!(v, want);
        assert!(meta().to_json().starts_with(b"{\n\t\"ulid\""));
    }

    #[test]
    fn round_trips_and_checks_versions() {
        let m = meta();
        assert_eq!(Meta::parse(&m.to_json(), Path::new("meta.json")).unwrap(), m);

        let mut v2 = m.clone();
        v2.version = 2;
        assert!(matches!(Meta::parse(&v2.to_json(), Path::new("x")), Err(Error::Version { got: 2, .. })));

        // A Prometheus-written meta (no thanos section, extra fields) is accepted.
        let prom = br#"{"ulid":"01HZZZZZZZZZZZZZZZZZZZZZZZ","minTime":1,"maxTime":2,
            "stats":{"numSamples":1,"numSeries":1,"numChunks":1},
            "compaction":{"level":1,"sources":["01HZZZZZZZZZZZZZZZZZZZZZZZ"],"hints":["x"]},"version":1}"#;
        let p = Meta::parse(prom, Path::new("x")).unwrap();
        assert_eq!((p.stats.num_samples, p.thanos), (1, None));
    }
}
