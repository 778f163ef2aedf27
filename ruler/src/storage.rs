//! The ruler's local storage under `--data-dir`, laid out as a Prometheus data directory: every
//! evaluation's samples go to the write-ahead log (synced before `append` returns) and to the head;
//! once a `--tsdb.block-duration` window is half a window in the past it becomes a block, and only
//! then is the log rewritten without it. Blocks older than `--tsdb.retention` are deleted.
//!
//! At start: half-written blocks are removed, the log is replayed (a torn tail from a crash is cut
//! off), and samples already in a block are skipped, so a crash at any point loses nothing that
//! `append` acknowledged and never shows half a block.
//!
//! Reads ([`select`]) see blocks and head together as of one instant, so a block cut while a reader
//! goes through many series neither hides nor repeats a sample.

mod select;

pub use select::{RawChunk, SeriesChunks};

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use promapi::Labels;
use ulid::Ulid;

use crate::rules::alerting::Alert;
use crate::rules::Sample;
use crate::tsdb::block::TMP_SUFFIX;
use crate::tsdb::wal::{Record, Wal};
use crate::tsdb::{Block, BlockWriter, Error, Meta};

/// `--tsdb.*` settings.
#[derive(Debug, Clone)]
pub struct StorageOptions {
    pub block_ms: i64,
    pub retention_ms: i64,
    /// The Thanos `labels` of every block's meta.json.
    pub external_labels: Labels,
}

/// WAL segments: 128 MiB, as Prometheus.
const SEGMENT_SIZE: usize = 128 << 20;

/// The data directory: blocks, log and head.
pub struct Storage {
    dir: PathBuf,
    opts: StorageOptions,
    state: Mutex<State>,
    kept_firing: Mutex<KeptFiring>,
}

// Alerts kept firing by `keep_firing_for` are saved in [`KEPT_FIRING_FILE`] whenever they change.
pub use crate::rules::restore::KeptFiring;

/// Beside the TSDB in the data directory; Prometheus ignores it.
pub const KEPT_FIRING_FILE: &str = "keep_firing.json";

struct State {
    wal: Wal,
    head: Head,
    /// Samples before this are in blocks already.
    blocks_maxt: i64,
    /// The blocks in the data directory, oldest first, opened for reading.
    blocks: Vec<Arc<Block>>,
}

/// Samples not yet in a block, by series reference.
#[derive(Default)]
struct Head {
    refs: HashMap<Labels, u64>,
    series: BTreeMap<u64, (Labels, Vec<(i64, f64)>)>,
    next_ref: u64,
}

impl Head {
    fn add(&mut self, r: u64, labels: Labels) {
        self.refs.insert(labels.clone(), r);
        self.series.insert(r, (labels, Vec::new()));
        self.next_ref = self.next_ref.max(r + 1);
    }

    /// Appends in time order; an older or repeated timestamp is dropped (as Prometheus' appender
    /// refuses out-of-order samples). Returns whether it was kept.
    fn push(&mut self, r: u64, t: i64, v: f64) -> bool {
        let Some((_, samples)) = self.series.get_mut(&r) else { return false };
        if samples.last().is_some_and(|&(last, _)| t <= last) {
            return false;
        }
        samples.push((t, v));
        true
    }

    fn min_time(&self) -> Option<i64> {
        self.series.values().filter_map(|(_, s)| s.first().map(|&(t, _)| t)).min()
    }
}

/// What opening found.
#[derive(Debug, Default, PartialEq)]
pub struct OpenReport {
    pub blocks: usize,
    pub replayed_samples: usize,
    /// Bytes of a torn record cut off the log's end (a crash mid-write).
    pub torn_bytes: u64,
    pub removed_tmp: usize,
}

impl Storage {
    pub fn open(dir: &Path, opts: StorageOptions) -> Result<(Storage, OpenReport), Error> {
        std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
        let mut report = OpenReport::default();
        let mut blocks_maxt = i64::MIN;
        let mut opened = Vec::new();
        for (path, meta) in blocks(dir, &mut report)? {
            blocks_maxt = blocks_maxt.max(meta.max_time);
            report.blocks += 1;
            opened.push(Arc::new(Block::open(&path)?));
        }
        opened.sort_by_key(|b| b.meta().min_time);
        let wal_dir = dir.join("wal");
        // Records in log order: a series record always comes before its samples.
        let replay = crate::tsdb::wal::replay(&wal_dir)?;
        report.torn_bytes = replay.torn_tail.as_ref().map_or(0, |t| t.dropped);
        let mut head = Head::default();
        for record in &replay.records {
            match record {
                Record::Series(series) => {
                    for s in series {
                        head.add(s.series_ref, s.labels.clone());
                    }
                }
                Record::Samples(samples) => {
                    for s in samples {
                        if s.t >= blocks_maxt && head.push(s.series_ref, s.t, s.v) {
                            report.replayed_samples += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        let wal = Wal::open(&wal_dir, SEGMENT_SIZE)?;
        let kept_path = dir.join(KEPT_FIRING_FILE);
        // Best effort: without the file, kept-firing alerts start over, as in Prometheus.
        let kept =
            std::fs::read(&kept_path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        let storage = Storage {
            dir: dir.to_path_buf(),
            opts,
            state: Mutex::new(State { wal, head, blocks_maxt, blocks: opened }),
            kept_firing: Mutex::new(kept),
        };
        Ok((storage, report))
    }

    /// Appends durably: logged and synced, then in the head.
    pub fn append_samples(&self, samples: &[Sample]) -> Result<usize, Error> {
        let mut st = self.state.lock().unwrap();
        let st = &mut *st;
        let mut new_series = Vec::new();
        let mut logged = Vec::with_capacity(samples.len());
        for s in samples {
            if s.t < st.blocks_maxt {
                continue;
            }
            let r = match st.head.refs.get(&s.labels) {
                Some(&r) => r,
                None => {
                    let r = st.head.next_ref;
                    st.head.add(r, s.labels.clone());
                    new_series.push(r);
                    r
                }
            };
            if st.head.push(r, s.t, s.v) {
                logged.push((r, s.t, s.v));
            }
        }
        if !new_series.is_empty() {
            let series: Vec<(u64, &Labels)> = new_series.iter().map(|r| (*r, &st.head.series[r].0)).collect();
            st.wal.log_series(&series)?;
        }
        if !logged.is_empty() {
            st.wal.log_samples(&logged)?;
        }
        st.wal.sync()?;
        Ok(logged.len())
    }

    /// Writes every window that ended at least half a window before `now_ms` as a block, then
    /// rewrites the log without it. Returns the blocks written.
    pub fn compact(&self, now_ms: i64) -> Result<Vec<Ulid>, Error> {
        let mut written = Vec::new();
        let mut st = self.state.lock().unwrap();
        let st = &mut *st;
        let block = self.opts.block_ms;
        while let Some(min_t) = st.head.min_time() {
            let mint = min_t.div_euclid(block) * block;
            let maxt = mint + block;
            if now_ms < maxt + block / 2 {
                break;
            }
            let mut w = BlockWriter::new(&self.dir, mint, maxt, self.opts.external_labels.clone())?;
            for (labels, samples) in st.head.series.values() {
                let n = samples.partition_point(|&(t, _)| t < maxt);
                if n > 0 {
                    w.add_series(labels, &samples[..n])?;
                }
            }
            let id = w.finish()?;
            written.push(id);
            // The block is synced and in place: readers see it at once, and the head and the log may
            // let go of its samples.
            st.blocks.push(Arc::new(Block::open(self.dir.join(id.to_string()))?));
            st.blocks_maxt = maxt;
            for (_, samples) in st.head.series.values_mut() {
                let n = samples.partition_point(|&(t, _)| t < maxt);
                samples.drain(..n);
            }
            // Series with nothing left and nothing recent are forgotten; their next sample relogs them.
            let stale: Vec<u64> =
                st.head.series.iter().filter(|(_, (_, s))| s.is_empty()).map(|(r, _)| *r).collect();
            for r in stale {
                if let Some((labels, _)) = st.head.series.remove(&r) {
                    st.head.refs.remove(&labels);
                }
            }
            let first = st.wal.cut_segment()?;
            let series: Vec<(u64, &Labels)> = st.head.series.iter().map(|(r, (l, _))| (*r, l)).collect();
            if !series.is_empty() {
                st.wal.log_series(&series)?;
            }
            let samples: Vec<(u64, i64, f64)> = st
                .head
                .series
                .iter()
                .flat_map(|(r, (_, s))| s.iter().map(move |&(t, v)| (*r, t, v)))
                .collect();
            if !samples.is_empty() {
                st.wal.log_samples(&samples)?;
            }
            st.wal.sync()?;
            st.wal.truncate_before(first)?;
        }
        Ok(written)
    }

    /// Deletes blocks that ended more than the retention before `now_ms`; returns how many.
    pub fn apply_retention(&self, now_ms: i64) -> Result<usize, Error> {
        let expired: Vec<Arc<Block>> = {
            let mut st = self.state.lock().unwrap();
            let (old, kept) =
                st.blocks.drain(..).partition(|b| b.meta().max_time < now_ms - self.opts.retention_ms);
            st.blocks = kept;
            old
        };
        // Readers holding a block keep reading what they opened.
        for b in &expired {
            std::fs::remove_dir_all(b.dir()).map_err(Error::io("delete", b.dir()))?;
        }
        Ok(expired.len())
    }

    /// What was kept firing when the ruler last ran.
    pub fn kept_firing(&self) -> KeptFiring {
        self.kept_firing.lock().unwrap().clone()
    }

    /// Records `group`'s kept-firing alerts; rewrites the file (atomically) only when they changed.
    pub fn save_kept_firing(&self, group: &str, alerts: Vec<(String, Alert)>) -> Result<(), Error> {
        let mut kept = self.kept_firing.lock().unwrap();
        let unchanged = match kept.get(group) {
            Some(old) => *old == alerts,
            None => alerts.is_empty(),
        };
        if unchanged {
            return Ok(());
        }
        if alerts.is_empty() {
            kept.remove(group);
        } else {
            kept.insert(group.to_string(), alerts);
        }
        let path = self.dir.join(KEPT_FIRING_FILE);
        let tmp = self.dir.join(format!("{KEPT_FIRING_FILE}.tmp"));
        let bytes = serde_json::to_vec(&*kept).expect("alerts serialize");
        std::fs::write(&tmp, bytes).map_err(Error::io("write", &tmp))?;
        std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(Error::io("sync", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(Error::io("rename", &path))
    }

    /// The last sample of every head series named `name` (e.g. `ALERTS_FOR_STATE` for restore).
    pub fn latest(&self, name: &str) -> Vec<(Labels, i64, f64)> {
        let st = self.state.lock().unwrap();
        st.head
            .series
            .values()
            .filter(|(l, _)| l.get("__name__").is_some_and(|n| n == name))
            .filter_map(|(l, s)| s.last().map(|&(t, v)| (l.clone(), t, v)))
            .collect()
    }
}

/// The block directories of `dir` with their meta; half-written ones are removed (and counted).
fn blocks(dir: &Path, report: &mut OpenReport) -> Result<Vec<(PathBuf, Meta)>, Error> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(Error::io("list", dir))? {
        let entry = entry.map_err(Error::io("list", dir))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(TMP_SUFFIX) {
            std::fs::remove_dir_all(&path).map_err(Error::io("delete", &path))?;
            report.removed_tmp += 1;
            continue;
        }
        if Ulid::from_string(&name).is_err() || !path.is_dir() {
            continue;
        }
        let meta_path = path.join("meta.json");
        let bytes = std::fs::read(&meta_path).map_err(Error::io("read", &meta_path))?;
        out.push((path, Meta::parse(&bytes, &meta_path)?));
    }
    Ok(out)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(super) const H: i64 = 3_600_000;

    pub(super) fn sample(name: &str, t: i64, v: f64) -> Sample {
        Sample { labels: [("__name__".to_string(), name.to_string())].into(), t, v }
    }

    pub(super) fn opts() -> StorageOptions {
        StorageOptions {
            block_ms: 2 * H,
            retention_ms: 48 * H,
            external_labels: [("replica".to_string(), "a".to_string())].into(),
        }
    }

    fn all_samples(dir: &Path) -> Vec<(String, i64, f64)> {
        let mut out = Vec::new();
        for (path, _) in blocks(dir, &mut OpenReport::default()).unwrap() {
            for s in Block::open(&path).unwrap().series() {
                let s = s.unwrap();
                out.extend(s.samples.iter().map(|&(t, v)| (s.labels["__name__"].clone(), t, v)));
            }
        }
        out.sort_by(|a, b| a.partial_cmp(b).unwrap());
        out
    }

    #[test]
    fn appends_survive_a_restart_and_windows_become_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = 100 * 2 * H; // a window start
        {
            let (s, report) = Storage::open(dir.path(), opts()).unwrap();
            assert_eq!(report, OpenReport::default());
            assert_eq!(s.append_samples(&[sample("a", t0, 1.0), sample("b", t0, 2.0)]).unwrap(), 2);
            assert_eq!(
                s.append_samples(&[sample("a", t0 + 60_000, 3.0), sample("a", t0, 9.0)]).unwrap(),
                1,
                "out of order dropped"
            );
        }
        // A restart replays the log.
        let (s, report) = Storage::open(dir.path(), opts()).unwrap();
        assert_eq!(report.replayed_samples, 3);
        s.append_samples(&[sample("a", t0 + 2 * H + 1, 4.0)]).unwrap();
        assert!(s.compact(t0 + 2 * H + H - 1).unwrap().is_empty(), "not yet half a window past its end");
        assert_eq!(s.compact(t0 + 3 * H).unwrap().len(), 1);
        assert_eq!(
            all_samples(dir.path()),
            vec![("a".into(), t0, 1.0), ("a".into(), t0 + 60_000, 3.0), ("b".into(), t0, 2.0)]
        );
        assert_eq!(s.latest("a"), vec![(sample("a", 0, 0.0).labels, t0 + 2 * H + 1, 4.0)]);
        drop(s);
        // After the block, the log holds only what is not in it.
        let (s, report) = Storage::open(dir.path(), opts()).unwrap();
        assert_eq!((report.blocks, report.replayed_samples), (1, 1));
        assert_eq!(s.apply_retention(t0 + 2 * H + 48 * H - 1).unwrap(), 0);
        assert_eq!(s.apply_retention(t0 + 2 * H + 48 * H + 1).unwrap(), 1);
        assert!(all_samples(dir.path()).is_empty());
    }

    #[test]
    fn half_written_blocks_are_removed_at_start() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(format!("{}{TMP_SUFFIX}", Ulid::new()))).unwrap();
        let (_, report) = Storage::open(dir.path(), opts()).unwrap();
        assert_eq!(report.removed_tmp, 1);
    }
}
