//! The read side of [`Storage`]: which series hold samples in a time range, and their chunks as raw
//! XOR data, from blocks and the head as of one instant.

use std::collections::BTreeSet;
use std::sync::Arc;

use promapi::Labels;

use super::Storage;
use crate::tsdb::cut::encode;
pub use crate::tsdb::cut::RawChunk;
use crate::tsdb::{Block, Error, LabelSet};

/// One series and its chunks overlapping a range, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesChunks {
    pub labels: LabelSet,
    pub chunks: Vec<RawChunk>,
}

/// The samples of `s` (in time order) inside `[mint, maxt]`.
fn in_range(s: &[(i64, f64)], mint: i64, maxt: i64) -> &[(i64, f64)] {
    let from = s.partition_point(|&(t, _)| t < mint);
    let to = s.partition_point(|&(t, _)| t <= maxt);
    &s[from..to.max(from)]
}

fn block_overlaps(b: &Block, mint: i64, maxt: i64) -> bool {
    b.meta().min_time <= maxt && b.meta().max_time > mint
}

impl Storage {
    /// The time of the oldest sample held, in a block or the head; `None` when there is none.
    pub fn min_time(&self) -> Option<i64> {
        let st = self.state.lock().unwrap();
        st.blocks.iter().map(|b| b.meta().min_time).min().or_else(|| st.head.min_time())
    }

    /// The labels of every series with a sample in `[mint, maxt]` that `keep` selects, once each, in
    /// label order, packed (a read may hold very many).
    pub fn series_labels(&self, mint: i64, maxt: i64, keep: impl Fn(&LabelSet) -> bool) -> Vec<LabelSet> {
        let (blocks, mut found) = {
            let st = self.state.lock().unwrap();
            let head: BTreeSet<LabelSet> = st
                .head
                .series
                .values()
                .filter(|(_, s)| !in_range(s, mint, maxt).is_empty())
                .map(|(l, _)| LabelSet::from(l))
                .filter(&keep)
                .collect();
            (st.blocks.clone(), head)
        };
        for b in blocks.iter().filter(|b| block_overlaps(b, mint, maxt)) {
            for e in b.entries() {
                if e.chunks.iter().any(|c| c.min_t <= maxt && c.max_t >= mint) {
                    let set = LabelSet::from_pairs(b.labels(e));
                    if !found.contains(&set) && keep(&set) {
                        found.insert(set);
                    }
                }
            }
        }
        found.into_iter().collect()
    }

    /// The chunks of each of `series` that overlap `[mint, maxt]`, oldest first: whole chunks from
    /// blocks (as Thanos returns them, possibly reaching outside the range), then the head's samples
    /// inside the range cut into chunks as the head cuts them. A series may come back without chunks
    /// (its block was deleted meanwhile).
    pub fn chunks(&self, series: &[LabelSet], mint: i64, maxt: i64) -> Result<Vec<SeriesChunks>, Error> {
        // The head is keyed by owned labels: built before the lock is taken, not under it.
        let keys: Vec<Labels> = series.iter().map(LabelSet::to_labels).collect();
        let (blocks, head) = {
            let st = self.state.lock().unwrap();
            let head: Vec<Vec<(i64, f64)>> = keys
                .iter()
                .map(|l| {
                    let samples = st.head.refs.get(l).and_then(|r| st.head.series.get(r));
                    samples.map(|(_, s)| in_range(s, mint, maxt).to_vec()).unwrap_or_default()
                })
                .collect();
            (st.blocks.clone(), head)
        };
        let blocks: Vec<&Arc<Block>> = blocks.iter().filter(|b| block_overlaps(b, mint, maxt)).collect();
        let mut out = Vec::with_capacity(series.len());
        for (labels, samples) in series.iter().zip(head) {
            let mut chunks = Vec::new();
            for b in &blocks {
                let Some(e) = b.entry(labels) else { continue };
                for c in e.chunks.iter().filter(|c| c.min_t <= maxt && c.max_t >= mint) {
                    chunks.push(RawChunk { min_t: c.min_t, max_t: c.max_t, data: b.chunk(c.chunk_ref)? });
                }
            }
            chunks.extend(encode(&samples, self.opts.block_ms));
            out.push(SeriesChunks { labels: labels.clone(), chunks });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{opts, sample, H};
    use super::*;
    use crate::tsdb::xor;

    fn decoded(c: &SeriesChunks) -> Vec<(i64, f64)> {
        c.chunks.iter().flat_map(|c| xor::decode(&c.data).unwrap()).collect()
    }

    #[test]
    fn reads_see_blocks_and_head_as_one_and_survive_a_cut() {
        let dir = tempfile::tempdir().unwrap();
        let (s, _) = Storage::open(dir.path(), opts()).unwrap();
        let t0 = 100 * 2 * H;
        assert_eq!(s.min_time(), None);
        // Two hours at 30 s in window one, then a little of window two.
        let mut batch = Vec::new();
        for i in 0..(2 * H / 30_000 + 10) {
            batch.push(sample("a", t0 + i * 30_000, i as f64));
        }
        batch.push(sample("b", t0 + 2 * H + 5_000, 7.0));
        s.append_samples(&batch).unwrap();
        assert_eq!(s.min_time(), Some(t0));
        let names = |l: &[LabelSet]| {
            l.iter().map(|l| l.get("__name__").unwrap_or("").to_string()).collect::<Vec<_>>()
        };
        let all = s.series_labels(t0, t0 + 3 * H, |_| true);
        assert_eq!(names(&all), ["a", "b"]);
        assert_eq!(names(&s.series_labels(t0 + 2 * H, t0 + 3 * H, |_| true)), ["a", "b"]);
        assert_eq!(names(&s.series_labels(t0, t0 + H, |_| true)), ["a"], "b starts later");
        assert!(s.series_labels(t0, t0 + 3 * H, |l| l.get("__name__") == Some("c")).is_empty());

        let before = s.chunks(&all, t0, t0 + 3 * H).unwrap();
        assert_eq!(s.compact(t0 + 3 * H).unwrap().len(), 1);
        let after = s.chunks(&all, t0, t0 + 3 * H).unwrap();
        assert_eq!(
            before.iter().map(decoded).collect::<Vec<_>>(),
            after.iter().map(decoded).collect::<Vec<_>>()
        );
        assert_eq!(decoded(&after[0]).len(), batch.len() - 1, "nothing lost or repeated across the cut");
        for c in after.iter().flat_map(|s| &s.chunks) {
            let samples = xor::decode(&c.data).unwrap();
            assert_eq!((samples[0].0, samples[samples.len() - 1].0), (c.min_t, c.max_t));
            assert!(samples.len() <= 240);
        }
        // A narrow range inside the head.
        let narrow = s.chunks(&all[..1], t0 + 2 * H + 30_000, t0 + 2 * H + 90_000).unwrap();
        assert_eq!(decoded(&narrow[0]).iter().map(|s| s.1).collect::<Vec<_>>(), [241.0, 242.0, 243.0]);
        assert_eq!(s.min_time(), Some(t0));
    }
}
