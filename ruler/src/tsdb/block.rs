//! A block directory: [`BlockWriter`] turns the samples of one time window into a block, written beside
//! its final place and renamed into it once synced; [`Block`] reads one back, checking everything.
//!
//! ```text
//! <ulid>/meta.json  index  chunks/000001…  tombstones
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use promapi::Labels;
use ulid::Ulid;

use super::chunks::{ChunkReader, SegmentWriter, DEFAULT_SEGMENT_SIZE};
use super::cut::encode;
use super::index::{ChunkMeta, IndexReader, IndexWriter, SeriesEntry};
use super::meta::{Meta, Stats};
use super::xor;
use super::{fmt_labels, owned_labels, sync_dir, tombstones, Error, LabelSet, BLOCK_DURATION_MS};
use crate::rules::Sample;

/// Suffix of a block being written; Prometheus ignores such directories and deletes them at start.
pub const TMP_SUFFIX: &str = ".tmp-for-creation";

/// One series and its samples, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Labels,
    pub samples: Vec<(i64, f64)>,
}

/// Collects the samples of one window `[mint, maxt)`, then writes them as a block.
///
/// Series may come in any order and a series in several calls; samples are sorted by time at the end.
/// Series are ordered by their label pairs compared as byte strings, a shorter prefix first, which is
/// both `Labels`' (`BTreeMap`) order and Prometheus' `labels.Compare`. Chunks are cut as Prometheus' head
/// cuts them (see [`super::cut`]) and never cross a multiple of the chunk range.
#[derive(Debug)]
pub struct BlockWriter {
    dir: PathBuf,
    mint: i64,
    maxt: i64,
    external_labels: Labels,
    chunk_range: i64,
    segment_size: u64,
    series: BTreeMap<Labels, Vec<(i64, f64)>>,
}

impl BlockWriter {
    /// A writer for a block in `dir` (the data directory) covering `[mint, maxt)` in ms; the external
    /// labels go to meta.json's `thanos` section, not into the series.
    pub fn new(
        dir: impl Into<PathBuf>,
        mint: i64,
        maxt: i64,
        external_labels: Labels,
    ) -> Result<BlockWriter, Error> {
        if mint >= maxt {
            return Err(Error::EmptyWindow { mint, maxt });
        }
        Ok(BlockWriter {
            dir: dir.into(),
            mint,
            maxt,
            external_labels,
            chunk_range: BLOCK_DURATION_MS,
            segment_size: DEFAULT_SEGMENT_SIZE,
            series: BTreeMap::new(),
        })
    }

    /// The range whose multiples chunks do not cross, and which their end prediction spreads over.
    /// Prometheus' head uses the 2h block duration (the default); `promtool tsdb create-blocks-from`
    /// uses twice its block duration, so 4h reproduces its chunks.
    pub fn with_chunk_range(mut self, ms: i64) -> BlockWriter {
        assert!(ms > 0, "chunk range must be positive");
        self.chunk_range = ms;
        self
    }

    /// The size past which a new chunk segment file starts (512 MiB by default).
    pub fn with_segment_size(mut self, bytes: u64) -> BlockWriter {
        self.segment_size = bytes;
        self
    }

    /// Adds samples of one series. Labels with empty values are dropped, as Prometheus drops them;
    /// every sample must lie in the window.
    pub fn add_series(&mut self, labels: &Labels, samples: &[(i64, f64)]) -> Result<(), Error> {
        if samples.is_empty() {
            return Ok(());
        }
        let labels = if labels.values().any(String::is_empty) {
            Cow::Owned(
                labels.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.clone(), v.clone())).collect(),
            )
        } else {
            Cow::Borrowed(labels)
        };
        if labels.is_empty() {
            return Err(Error::InvalidLabels {
                labels: fmt_labels(&labels),
                reason: "no labels with a value",
            });
        }
        if labels.contains_key("") {
            return Err(Error::InvalidLabels { labels: fmt_labels(&labels), reason: "empty label name" });
        }
        if let Some(&(t, _)) = samples.iter().find(|(t, _)| *t < self.mint || *t >= self.maxt) {
            return Err(Error::OutOfWindow {
                labels: fmt_labels(&labels),
                t,
                mint: self.mint,
                maxt: self.maxt,
            });
        }
        match self.series.get_mut(labels.as_ref()) {
            Some(s) => s.extend_from_slice(samples),
            None => {
                self.series.insert(labels.into_owned(), samples.to_vec());
            }
        }
        Ok(())
    }

    /// Adds one sample a rule produced.
    pub fn add(&mut self, sample: &Sample) -> Result<(), Error> {
        self.add_series(&sample.labels, &[(sample.t, sample.v)])
    }

    pub fn num_series(&self) -> usize {
        self.series.len()
    }

    /// Writes the block to `<dir>/<ulid>.tmp-for-creation`, syncs every file and the directories, and
    /// renames it to `<dir>/<ulid>`. A sample repeated with the same value bits counts once; with
    /// different ones it is an error. On error nothing is left behind.
    pub fn finish(mut self) -> Result<Ulid, Error> {
        if self.series.is_empty() {
            return Err(Error::EmptyBlock);
        }
        for (labels, samples) in &mut self.series {
            samples.sort_by_key(|&(t, _)| t);
            samples.dedup_by(|cur, prev| cur.0 == prev.0 && cur.1.to_bits() == prev.1.to_bits());
            if let Some(w) = samples.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(Error::DuplicateSample { labels: fmt_labels(labels), t: w[0].0 });
            }
        }

        let ulid = Ulid::new();
        std::fs::create_dir_all(&self.dir).map_err(Error::io("create", &self.dir))?;
        let tmp = self.dir.join(format!("{ulid}{TMP_SUFFIX}"));
        std::fs::create_dir(&tmp).map_err(Error::io("create", &tmp))?;
        let mut guard = RemoveOnDrop(Some(tmp.clone()));

        self.write_into(&tmp, ulid)?;
        let dst = self.dir.join(ulid.to_string());
        std::fs::rename(&tmp, &dst).map_err(Error::io("rename into place", &dst))?;
        guard.0 = None;
        sync_dir(&self.dir)?;
        Ok(ulid)
    }

    fn write_into(&self, tmp: &Path, ulid: Ulid) -> Result<(), Error> {
        let mut symbols: BTreeSet<&str> = BTreeSet::from([""]);
        for labels in self.series.keys() {
            symbols.extend(labels.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]));
        }
        let mut index = IndexWriter::new(symbols)?;
        let mut segments = SegmentWriter::new(&tmp.join("chunks"), self.segment_size)?;
        let mut stats = Stats::default();
        for (labels, samples) in &self.series {
            let encoded = encode(samples, self.chunk_range);
            let refs =
                segments.write_series(&encoded.iter().map(|c| c.data.as_slice()).collect::<Vec<_>>())?;
            let metas: Vec<ChunkMeta> = encoded
                .iter()
                .zip(refs)
                .map(|(c, chunk_ref)| ChunkMeta { min_t: c.min_t, max_t: c.max_t, chunk_ref })
                .collect();
            index.add_series(labels, &metas)?;
            stats.num_series += 1;
            stats.num_chunks += metas.len() as u64;
            stats.num_samples += samples.len() as u64;
        }
        segments.finish()?;
        write_synced(&tmp.join("index"), &index.finish()?)?;
        write_synced(&tmp.join("tombstones"), &tombstones::encode(&[]))?;
        let meta = Meta::new_ruler_block(ulid, self.mint, self.maxt, stats, self.external_labels.clone());
        write_synced(&tmp.join("meta.json"), &meta.to_json())?;
        sync_dir(tmp)
    }
}

/// Removes a half-written block unless disarmed.
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut f = File::create(path).map_err(Error::io("create", path))?;
    f.write_all(bytes).map_err(Error::io("write", path))?;
    f.sync_all().map_err(Error::io("sync", path))
}

/// A block read back: meta.json, index and chunk segments, all checked when opened.
#[derive(Debug)]
pub struct Block {
    dir: PathBuf,
    meta: Meta,
    index: IndexReader,
    chunks: ChunkReader,
}

impl Block {
    /// Opens the block at `dir`, whose name must be its ULID, and checks: every CRC, the index rules (see
    /// [`IndexReader`]), chunks inside `[minTime, maxTime)`, exact stats, no tombstones (deletions are
    /// not supported). Sample data is decoded by [`Block::series`].
    pub fn open(dir: impl AsRef<Path>) -> Result<Block, Error> {
        let dir = dir.as_ref().to_path_buf();
        let read = |name: &str| {
            let p = dir.join(name);
            std::fs::read(&p).map_err(Error::io("read", p))
        };
        let meta_path = dir.join("meta.json");
        let meta = Meta::parse(&read("meta.json")?, &meta_path)?;
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name != meta.ulid.to_string() {
            return Err(Error::malformed(
                "meta.json",
                0,
                format!("ulid {} differs from the directory name {name:?}", meta.ulid),
            ));
        }
        let index = IndexReader::parse(&read("index")?)?;
        let chunks = ChunkReader::open(&dir.join("chunks"))?;
        if dir.join("tombstones").exists() && !tombstones::decode(&read("tombstones")?)?.is_empty() {
            return Err(Error::malformed("tombstones", 5, "deletions are not supported"));
        }

        let mut stats = Stats::default();
        for s in index.series() {
            stats.num_series += 1;
            for c in &s.chunks {
                if c.min_t < meta.min_time || c.max_t >= meta.max_time {
                    return Err(Error::malformed(
                        "index",
                        s.id as u64 * 16,
                        format!(
                            "{} has a chunk [{}, {}] outside the block [{}, {})",
                            fmt_labels(&owned_labels(index.labels(s))),
                            c.min_t,
                            c.max_t,
                            meta.min_time,
                            meta.max_time
                        ),
                    ));
                }
                let data = chunks.chunk(c.chunk_ref)?;
                stats.num_chunks += 1;
                stats.num_samples += xor::num_samples(&data)? as u64;
            }
        }
        stats.num_tombstones = meta.stats.num_tombstones;
        if stats != meta.stats {
            return Err(Error::malformed(
                "meta.json",
                0,
                format!("stats {:?} differ from the block's {stats:?}", meta.stats),
            ));
        }
        Ok(Block { dir, meta, index, chunks })
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every series' index entry (labels and chunk metas), in label order.
    pub fn entries(&self) -> &[SeriesEntry] {
        self.index.series()
    }

    /// The labels of `e`, one of [`Block::entries`], in name order.
    pub fn labels<'a>(&'a self, e: &'a SeriesEntry) -> impl Iterator<Item = (&'a str, &'a str)> + Clone + 'a {
        self.index.labels(e)
    }

    /// The index entry of the series with exactly `labels`, if the block has it.
    pub fn entry(&self, labels: &LabelSet) -> Option<&SeriesEntry> {
        let all = self.index.series();
        all.binary_search_by(|e| self.labels(e).cmp(labels.pairs())).ok().map(|i| &all[i])
    }

    /// The XOR data of the chunk at `r` (2-byte count and bit stream), read from its segment file,
    /// its checksum verified.
    pub fn chunk(&self, r: u64) -> Result<Vec<u8>, Error> {
        self.chunks.chunk(r)
    }

    /// Every series in label order with its samples, decoding chunk by chunk; a chunk whose samples do
    /// not start and end at its index times is an error.
    pub fn series(&self) -> impl Iterator<Item = Result<Series, Error>> + '_ {
        self.index.series().iter().map(|e| self.read_series(e))
    }

    fn read_series(&self, e: &SeriesEntry) -> Result<Series, Error> {
        let mut samples = Vec::new();
        for c in &e.chunks {
            let got = xor::decode(&self.chunks.chunk(c.chunk_ref)?)?;
            if got.first().map(|s| s.0) != Some(c.min_t) || got.last().map(|s| s.0) != Some(c.max_t) {
                return Err(Error::malformed(
                    "chunk",
                    c.chunk_ref,
                    format!(
                        "{}: samples span {:?}..{:?}, the index says [{}, {}]",
                        fmt_labels(&self.label_map(e)),
                        got.first().map(|s| s.0),
                        got.last().map(|s| s.0),
                        c.min_t,
                        c.max_t
                    ),
                ));
            }
            samples.extend(got);
        }
        Ok(Series { labels: self.label_map(e), samples })
    }

    fn label_map(&self, e: &SeriesEntry) -> Labels {
        owned_labels(self.labels(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::STALE_NAN;

    const H: i64 = 3_600_000;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn only_block(dir: &Path) -> PathBuf {
        let entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(entries.len(), 1, "{entries:?}");
        entries.into_iter().next().unwrap()
    }

    #[test]
    fn samples_round_trip_through_a_block() {
        let tmp = tempfile::tempdir().unwrap();
        let w0 = 10_000 * 2 * H;
        let mut w = BlockWriter::new(tmp.path(), w0, w0 + 2 * H, labels(&[("replica", "a")])).unwrap();
        let odd = [f64::from_bits(STALE_NAN), f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 5e-324];
        let a: Vec<(i64, f64)> = (0..500)
            .map(|i| {
                (
                    w0 + i * 14_000 + i % 7,
                    if i % 50 == 3 { odd[(i / 50) as usize % 6] } else { i as f64 * 0.5 },
                )
            })
            .collect();
        // Given out of order and in two calls, with one exact repeat.
        let (x, y) = a.split_at(200);
        w.add_series(&labels(&[("__name__", "a"), ("empty", "")]), y).unwrap();
        w.add_series(&labels(&[("__name__", "a")]), x).unwrap();
        w.add_series(&labels(&[("__name__", "a")]), &x[..1]).unwrap();
        let b = vec![(w0 + 2 * H - 1, 1.0)];
        w.add_series(&labels(&[("__name__", "B")]), &b).unwrap();
        let ulid = w.finish().unwrap();

        let dir = only_block(tmp.path());
        assert_eq!(dir.file_name().unwrap().to_str().unwrap(), ulid.to_string());
        let block = Block::open(&dir).unwrap();
        let m = block.meta();
        assert_eq!((m.min_time, m.max_time), (w0, w0 + 2 * H));
        assert_eq!((m.stats.num_series, m.stats.num_samples), (2, 501));
        assert_eq!(m.stats.num_chunks, 5); // 500 samples at ~14 s: 4 chunks of ~30 min, and B's one
        assert_eq!(m.compaction.sources, [ulid]);
        assert_eq!(m.thanos.as_ref().unwrap().labels, labels(&[("replica", "a")]));

        let got: Vec<Series> = block.series().collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].labels, labels(&[("__name__", "B")])); // "B" < "a" in bytes
        assert_eq!(got[1].labels, labels(&[("__name__", "a")]));
        let bits = |s: &[(i64, f64)]| s.iter().map(|&(t, v)| (t, v.to_bits())).collect::<Vec<_>>();
        assert_eq!(bits(&got[0].samples), bits(&b));
        assert_eq!(bits(&got[1].samples), bits(&a));
    }

    #[test]
    fn refuses_bad_input_and_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(BlockWriter::new(tmp.path(), 5, 5, Labels::new()), Err(Error::EmptyWindow { .. })));
        let mut w = BlockWriter::new(tmp.path(), 0, 100, Labels::new()).unwrap();
        let l = labels(&[("__name__", "m")]);
        assert!(matches!(w.add_series(&l, &[(100, 1.0)]), Err(Error::OutOfWindow { t: 100, .. })));
        assert!(matches!(w.add_series(&l, &[(-1, 1.0)]), Err(Error::OutOfWindow { .. })));
        assert!(matches!(w.add_series(&labels(&[("x", "")]), &[(1, 1.0)]), Err(Error::InvalidLabels { .. })));
        w.add_series(&l, &[(1, 1.0), (1, 2.0)]).unwrap();
        assert!(matches!(w.finish(), Err(Error::DuplicateSample { t: 1, .. })));
        assert!(matches!(
            BlockWriter::new(tmp.path(), 0, 100, Labels::new()).unwrap().finish(),
            Err(Error::EmptyBlock)
        ));
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[test]
    fn open_checks_stats_name_and_range() {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = BlockWriter::new(tmp.path(), 0, 1_000, Labels::new()).unwrap();
        w.add_series(&labels(&[("__name__", "m")]), &[(1, 1.0), (999, 2.0)]).unwrap();
        w.finish().unwrap();
        let dir = only_block(tmp.path());
        let meta_path = dir.join("meta.json");
        let good = Meta::parse(&std::fs::read(&meta_path).unwrap(), &meta_path).unwrap();

        let mut m = good.clone();
        m.stats.num_samples = 3;
        std::fs::write(&meta_path, m.to_json()).unwrap();
        assert!(Block::open(&dir).unwrap_err().to_string().contains("stats"));

        let mut m = good.clone();
        m.max_time = 999;
        std::fs::write(&meta_path, m.to_json()).unwrap();
        assert!(Block::open(&dir).unwrap_err().to_string().contains("outside the block"));

        std::fs::write(&meta_path, good.to_json()).unwrap();
        let renamed = tmp.path().join("01ARZ3NDEKTSV4RRFFQ69G5FAV");
        std::fs::rename(&dir, &renamed).unwrap();
        assert!(Block::open(&renamed).unwrap_err().to_string().contains("directory name"));
    }

    /// What `promtool tsdb create-blocks-from openmetrics` (2.42) wrote from `testdata/promtool-2.42/in.om`.
    const GOLDEN: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/src/tsdb/testdata/promtool-2.42/01M82YCT771T1HH7XBHBFYH78Q");

    /// The samples of `in.om`, in label order; its `NaN` is Go's `math.NaN()`.
    fn golden_series() -> Vec<(Labels, Vec<(i64, f64)>)> {
        let t0 = 1_700_006_400_000;
        let b = [
            f64::from_bits(0x7ff8_0000_0000_0001),
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            5e-324,
            0.1,
            1e300,
            -2.5,
            0.0,
            42.0,
        ];
        vec![
            (labels(&[("__name__", "golden_a"), ("path", "a")]), vec![(t0 + 2 * H - 1, 7.0)]),
            (
                labels(&[("__name__", "golden_a"), ("path", "x\"y\\z\n日本")]),
                (0..150).map(|i| (t0 + i * 15_000, i as f64 * 1.5)).collect(),
            ),
            (
                labels(&[("__name__", "golden_b")]),
                b.iter().enumerate().map(|(i, &v)| (t0 + i as i64 * 60_000 + 7, v)).collect(),
            ),
        ]
    }

    #[test]
    fn reads_a_promtool_block_and_writes_its_bytes() {
        let theirs = Block::open(GOLDEN).unwrap();
        let got: Vec<(Labels, Vec<(i64, u64)>)> = theirs
            .series()
            .map(|s| s.unwrap())
            .map(|s| (s.labels, s.samples.iter().map(|&(t, v)| (t, v.to_bits())).collect()))
            .collect();
        let want: Vec<(Labels, Vec<(i64, u64)>)> = golden_series()
            .into_iter()
            .map(|(l, s)| (l, s.iter().map(|&(t, v)| (t, v.to_bits())).collect()))
            .collect();
        assert_eq!(got, want);

        // promtool cuts chunks over twice its 2h block duration.
        let tmp = tempfile::tempdir().unwrap();
        let (mint, maxt) = (theirs.meta().min_time, theirs.meta().max_time);
        let mut w = BlockWriter::new(tmp.path(), mint, maxt, Labels::new())
            .unwrap()
            .with_chunk_range(2 * BLOCK_DURATION_MS);
        for (l, s) in golden_series() {
            w.add_series(&l, &s).unwrap();
        }
        let ours = Block::open(tmp.path().join(w.finish().unwrap().to_string())).unwrap();
        assert_eq!(ours.meta().stats, theirs.meta().stats);
        for file in ["index", "chunks/000001", "tombstones"] {
            let read = |b: &Block| std::fs::read(b.dir().join(file)).unwrap();
            assert!(read(&ours) == read(&theirs), "{file} differs from promtool's");
        }
    }

    #[test]
    fn segments_split_and_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = BlockWriter::new(tmp.path(), 0, 2 * H, Labels::new()).unwrap().with_segment_size(300);
        for i in 0..5 {
            let s: Vec<(i64, f64)> = (0..50).map(|j| (j * 60_000 + i, (i * j) as f64)).collect();
            w.add_series(&labels(&[("__name__", "m"), ("i", &i.to_string())]), &s).unwrap();
        }
        w.finish().unwrap();
        let dir = only_block(tmp.path());
        assert!(dir.join("chunks/000002").exists());
        let block = Block::open(&dir).unwrap();
        let n: usize = block.series().map(|s| s.unwrap().samples.len()).sum();
        assert_eq!(n, 250);
    }
}
