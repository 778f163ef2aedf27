//! The write-ahead log, in Prometheus' format, so that a Prometheus started on the data directory
//! replays what the ruler logged (`tsdb/FORMAT.md` §8).
//!
//! ```text
//! wal/00000000 00000001 …     segments; a record never crosses one
//! wal/checkpoint.00000004/    where the log starts after truncation: segments 5… follow it
//!
//! segment = 32 KiB pages; a page = fragments, then zeros once fewer than a header and a byte are left
//! fragment = type(1) | len(2 BE) | CRC-32C of data(4 BE) | data
//!   type: 1 full, 2 first, 3 middle, 4 last (a record split across pages); | 0x08 if snappy-compressed
//!   (the whole record, block format); 0 starts the padding
//! ```
//!
//! - [`Wal`] ([`writer`]): appends records; [`Wal::sync`] makes them durable.
//! - [`replay`] / [`WalReader`] ([`reader`]): the records back, tolerating a torn tail; [`repair`] cuts
//!   it off.
//! - [`record`]: series, samples and tombstones records.
//!
//! At start: `replay`, then `Wal::open`, which repairs and begins a new segment, as Prometheus does.

pub mod reader;
pub mod record;
pub mod writer;

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

pub use reader::{Damage, TornTail, WalReader};
pub use record::{Record, RefSample, RefSeries};
pub use writer::Wal;

use super::{sync_dir, Error};

/// Pages are the unit of writing; fragments never cross them.
pub const PAGE_SIZE: usize = 32 * 1024;
/// A fragment's type, length and CRC.
pub const HEADER_SIZE: usize = 7;
/// Prometheus' default segment size (`--storage.tsdb.wal-segment-size`).
pub const DEFAULT_SEGMENT_SIZE: usize = 128 * 1024 * 1024;
/// Flag in a fragment's type byte: the record is snappy-compressed (block format).
pub const COMPRESSION_SNAPPY: u8 = 0x08;
const CHECKPOINT_PREFIX: &str = "checkpoint.";

/// Which part of a record a fragment holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fragment {
    Full = 1,
    First = 2,
    Middle = 3,
    Last = 4,
}

impl Fragment {
    fn from_bits(b: u8) -> Option<Fragment> {
        Some(match b {
            1 => Fragment::Full,
            2 => Fragment::First,
            3 => Fragment::Middle,
            4 => Fragment::Last,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Fragment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Fragment::Full => "full",
            Fragment::First => "first",
            Fragment::Middle => "middle",
            Fragment::Last => "last",
        })
    }
}

/// Everything a WAL holds, in log order.
#[derive(Debug)]
pub struct Replay {
    pub records: Vec<Record>,
    /// What a crash left at the end of the last segment: not in `records`, and cut off by [`repair`].
    pub torn_tail: Option<TornTail>,
}

impl Replay {
    pub fn series(&self) -> impl Iterator<Item = &RefSeries> {
        self.records.iter().flat_map(|r| match r {
            Record::Series(s) => s.as_slice(),
            _ => &[],
        })
    }

    pub fn samples(&self) -> impl Iterator<Item = &RefSample> {
        self.records.iter().flat_map(|r| match r {
            Record::Samples(s) => s.as_slice(),
            _ => &[],
        })
    }
}

/// Reads the WAL in `dir` (see [`WalReader`]); a missing directory is an empty WAL.
pub fn replay(dir: &Path) -> Result<Replay, Error> {
    let mut reader = WalReader::open(dir)?;
    let records = reader.by_ref().collect::<Result<Vec<_>, _>>()?;
    Ok(Replay { records, torn_tail: reader.into_torn_tail() })
}

/// Cuts a torn tail off the last segment, so that the log can go on after it, and returns what was cut.
/// Corruption (damage with intact data after it) is an error and changes nothing.
pub fn repair(dir: &Path) -> Result<Option<TornTail>, Error> {
    let Some(&last) = layout(dir)?.segments.last() else { return Ok(None) };
    let path = segment_path(dir, last);
    let bytes = std::fs::read(&path).map_err(Error::io("read", &path))?;
    let (_, torn) = reader::read_segment(&path, last, &bytes, true)?;
    if let Some(t) = &torn {
        let f = OpenOptions::new().write(true).open(&path).map_err(Error::io("open", &path))?;
        f.set_len(t.offset).and_then(|()| f.sync_all()).map_err(Error::io("truncate", &path))?;
    }
    Ok(torn)
}

pub(crate) fn segment_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{n:08}"))
}

fn checkpoint_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{CHECKPOINT_PREFIX}{n:08}"))
}

/// The files of a WAL directory (or of a checkpoint, which is laid out the same way).
#[derive(Debug, Default)]
struct Layout {
    /// The newest checkpoint.
    checkpoint: Option<(u64, PathBuf)>,
    /// Segments after it, in order, without gaps.
    segments: Vec<u64>,
    /// Segments the checkpoint replaces, left by a truncation that did not finish.
    covered: Vec<u64>,
    /// Older checkpoints, and unfinished ones (`.tmp`).
    stale_checkpoints: Vec<PathBuf>,
}

/// Lists `dir` with Prometheus' rules: segments are files named by a number, and must be consecutive;
/// reading starts after the newest checkpoint, or at segment 0 when there is none (Prometheus 2.42 fails
/// to start otherwise).
fn layout(dir: &Path) -> Result<Layout, Error> {
    let bad = |reason: String| Error::WalLayout { dir: dir.to_path_buf(), reason };
    let mut segments = Vec::new();
    let mut checkpoints = Vec::new();
    let mut stale_checkpoints = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(Error::io("read directory", dir))? {
        let entry = entry.map_err(Error::io("read directory", dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(n) = number(name) {
            segments.push(n);
        } else if let Some(rest) = name.strip_prefix(CHECKPOINT_PREFIX) {
            match number(rest) {
                Some(n) => checkpoints.push((n, entry.path())),
                None => stale_checkpoints.push(entry.path()),
            }
        }
    }
    segments.sort_unstable();
    checkpoints.sort();
    if let Some(w) = segments.windows(2).find(|w| w[1] != w[0] + 1) {
        return Err(bad(format!("segments are not consecutive: {:08} follows {:08}", w[1], w[0])));
    }
    let checkpoint = checkpoints.pop();
    stale_checkpoints.extend(checkpoints.into_iter().map(|(_, p)| p));
    let start = checkpoint.as_ref().map_or(0, |(n, _)| n + 1);
    let covered: Vec<u64> = segments.iter().copied().filter(|&n| n < start).collect();
    segments.retain(|&n| n >= start);
    if let Some(&first) = segments.first() {
        if first != start {
            let after = match &checkpoint {
                Some((n, _)) => format!("checkpoint {n:08}"),
                None => "no checkpoint".to_string(),
            };
            return Err(bad(format!("first segment {first:08} after {after}: expected {start:08}")));
        }
    }
    Ok(Layout { checkpoint, segments, covered, stale_checkpoints })
}

/// A file name that is only decimal digits, as a number.
fn number(name: &str) -> Option<u64> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_follows_prometheus_rules() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let touch = |name: &str| std::fs::write(dir.join(name), b"").unwrap();
        assert!(layout(dir).unwrap().segments.is_empty());

        touch("00000000");
        touch("00000001");
        touch("notes.txt");
        assert_eq!(layout(dir).unwrap().segments, [0, 1]);

        touch("00000003");
        let err = layout(dir).unwrap_err().to_string();
        assert!(err.contains("not consecutive: 00000003 follows 00000001"), "{err}");
        std::fs::remove_file(dir.join("00000000")).unwrap();
        std::fs::remove_file(dir.join("00000001")).unwrap();
        let err = layout(dir).unwrap_err().to_string();
        assert!(err.contains("first segment 00000003 after no checkpoint: expected 00000000"), "{err}");

        for cp in ["checkpoint.00000001", "checkpoint.00000002", "checkpoint.00000004.tmp"] {
            std::fs::create_dir(dir.join(cp)).unwrap();
        }
        touch("00000002");
        let l = layout(dir).unwrap();
        assert_eq!(l.checkpoint.unwrap().0, 2);
        assert_eq!((l.segments, l.covered), (vec![3], vec![2]));
        assert_eq!(l.stale_checkpoints.len(), 2);
    }
}

/// Helpers the WAL's tests share.
#[cfg(test)]
pub(crate) mod testing {
    use promapi::Labels;

    use super::{Record, Wal};
    use crate::tsdb::tombstones::Tombstone;

    pub const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

    /// A record with values as bits, so that NaNs compare.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Plain {
        Series(Vec<(u64, Labels)>),
        Samples(Vec<(u64, i64, u64)>),
        Tombstones(Vec<Tombstone>),
        Other(u8),
    }

    pub fn plain(records: &[Record]) -> Vec<Plain> {
        records
            .iter()
            .map(|r| match r {
                Record::Series(s) => {
                    Plain::Series(s.iter().map(|s| (s.series_ref, s.labels.clone())).collect())
                }
                Record::Samples(s) => {
                    Plain::Samples(s.iter().map(|s| (s.series_ref, s.t, s.v.to_bits())).collect())
                }
                Record::Tombstones(t) => Plain::Tombstones(t.clone()),
                Record::Other(k) => Plain::Other(*k),
            })
            .collect()
    }

    pub fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    pub fn log_series(wal: &mut Wal, series: &[(u64, Labels)]) -> Plain {
        wal.log_series(&series.iter().map(|(r, l)| (*r, l)).collect::<Vec<_>>()).unwrap();
        Plain::Series(series.to_vec())
    }

    pub fn log_samples(wal: &mut Wal, samples: &[(u64, i64, f64)]) -> Plain {
        wal.log_samples(samples).unwrap();
        Plain::Samples(samples.iter().map(|&(r, t, v)| (r, t, v.to_bits())).collect())
    }

    /// Series with many labels, samples with every special value and negative deltas, a record of
    /// about 100 KiB (four pages' worth), then small records; returns what was logged.
    pub fn log_fixture(wal: &mut Wal) -> Vec<Plain> {
        let many: Labels = (0..60).map(|i| (format!("label_{i:02}"), format!("välue {i}"))).collect();
        let mut out = vec![log_series(
            wal,
            &[
                (1, labels(&[("__name__", "up"), ("job", "a")])),
                (2, many),
                (3, labels(&[("__name__", "flapping"), ("path", "/日本語\"\\")])),
            ],
        )];
        let t0 = 1_700_000_000_000;
        let specials = [
            f64::from_bits(STALE_NAN),
            f64::from_bits(0x7ff8_0000_0000_0001),
            f64::from_bits(0x7ff8_dead_beef_0001),
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            5e-324,
        ];
        let s: Vec<(u64, i64, f64)> =
            specials.iter().enumerate().map(|(i, &v)| (3 - i as u64 % 3, t0 - i as i64 * 1000, v)).collect();
        out.push(log_samples(wal, &s));
        let big: Vec<(u64, i64, f64)> =
            (0..8000).map(|i| (1 + i % 3, t0 + 15_000 * (i as i64 / 3), i as f64 * 0.37)).collect();
        out.push(log_samples(wal, &big));
        for i in 0..50 {
            out.push(log_samples(wal, &[(1, t0 + 100_000_000 + i * 1000, i as f64), (2, t0 + i, -1.0)]));
        }
        out
    }
}
