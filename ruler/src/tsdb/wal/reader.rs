//! Reading segments back: fragments reassembled into records, and the line between a torn tail (what a
//! crash leaves after the last write that reached the disk, dropped) and corruption (an error).
//!
//! A crash only damages what was written last, so damage in the last segment is a torn tail when no
//! intact fragment follows it. An intact fragment after damage means the damage came from elsewhere (a
//! bad disk, a stray write) and is reported, not dropped. One crash can look like that too: after a
//! power loss the disk may have written later unsynced blocks but not earlier ones; replay then stops
//! with an error and leaves the choice to the operator (Prometheus would truncate there).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use super::record::{self, Record};
use super::{layout, Fragment, Layout, COMPRESSION_SNAPPY, HEADER_SIZE, PAGE_SIZE};
use crate::tsdb::encoding::crc32c;
use crate::tsdb::Error;

/// What is wrong at a place in a segment.
#[derive(Debug, thiserror::Error)]
pub enum Damage {
    #[error("fragment checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum { stored: u32, computed: u32 },
    /// Type bits other than full, first, middle or last, or flags other than snappy (zstd included,
    /// which Prometheus 2.42 does not write either).
    #[error("unknown fragment header byte {0:#04x}")]
    FragmentType(u8),
    #[error("fragment of {len} bytes overruns its page, which has {room} left")]
    FragmentLength { len: usize, room: usize },
    /// The rest of a page after a zero byte, and a page's last bytes too few for a header, must be zero.
    #[error("non-zero byte in page padding")]
    Padding,
    #[error("segment ends {left} bytes into a fragment of {need}")]
    Cut { need: usize, left: usize },
    #[error("{got} fragment {}", if *.inside { "inside a record" } else { "outside a record" })]
    Sequence { got: Fragment, inside: bool },
    #[error("segment ends inside a record")]
    Incomplete,
    /// No writer pads a page inside a record: the first fragment takes the page's rest.
    #[error("page padding inside a record")]
    Interrupted,
    #[error("record mixes compressed and uncompressed fragments")]
    MixedCompression,
    /// Boxed, as is `Record`, to keep [`Error`] small.
    #[error("snappy: {0}")]
    Snappy(Box<snap::Error>),
    /// Offsets in it count from the record's type byte.
    #[error("record does not decode: {0}")]
    Record(Box<Error>),
}

/// What a crash left at the end of the last segment, dropped by replay and cut off by repair.
#[derive(Debug)]
pub struct TornTail {
    pub path: PathBuf,
    pub segment: u64,
    /// Length of the good part: the end of the last complete record.
    pub offset: u64,
    /// Bytes after it.
    pub dropped: u64,
    /// The first damage found, at or after `offset`.
    pub damage: Damage,
}

/// One fragment header and its data, checked.
enum Parsed<'a> {
    /// A zero byte: the page's rest is padding; reading goes on at `end`.
    Padding {
        end: usize,
    },
    Fragment {
        kind: Fragment,
        compressed: bool,
        data: &'a [u8],
        end: usize,
    },
}

/// Damage at `at`; what comes from `resume` on may still be intact.
struct Found {
    at: usize,
    damage: Damage,
    resume: usize,
}

fn next_page(pos: usize) -> usize {
    (pos / PAGE_SIZE + 1) * PAGE_SIZE
}

/// Parses what starts at `pos`, which must be before the end of `bytes`.
fn parse_at(bytes: &[u8], pos: usize) -> Result<Parsed<'_>, Found> {
    let page_end = next_page(pos);
    let header = bytes[pos];
    if header == 0 {
        let end = page_end.min(bytes.len());
        return match bytes[pos..end].iter().position(|&b| b != 0) {
            Some(i) => Err(Found { at: pos + i, damage: Damage::Padding, resume: pos + i + 1 }),
            None => Ok(Parsed::Padding { end }),
        };
    }
    if page_end - pos < HEADER_SIZE {
        return Err(Found { at: pos, damage: Damage::Padding, resume: pos + 1 });
    }
    let (Some(kind), 0 | COMPRESSION_SNAPPY) = (Fragment::from_bits(header & 0x07), header & !0x07) else {
        return Err(Found { at: pos, damage: Damage::FragmentType(header), resume: pos + 1 });
    };
    let left = bytes.len() - pos;
    if left < HEADER_SIZE {
        return Err(Found { at: pos, damage: Damage::Cut { need: HEADER_SIZE, left }, resume: bytes.len() });
    }
    let len = u16::from_be_bytes([bytes[pos + 1], bytes[pos + 2]]) as usize;
    let end = pos + HEADER_SIZE + len;
    if end > page_end {
        let damage = Damage::FragmentLength { len, room: page_end - pos - HEADER_SIZE };
        return Err(Found { at: pos, damage, resume: pos + 1 });
    }
    if end > bytes.len() {
        let damage = Damage::Cut { need: HEADER_SIZE + len, left };
        return Err(Found { at: pos, damage, resume: bytes.len() });
    }
    let stored = u32::from_be_bytes(bytes[pos + 3..pos + 7].try_into().expect("4 bytes"));
    let data = &bytes[pos + HEADER_SIZE..end];
    let computed = crc32c(data);
    if stored != computed {
        return Err(Found { at: pos, damage: Damage::Checksum { stored, computed }, resume: pos + 1 });
    }
    Ok(Parsed::Fragment { kind, compressed: header & COMPRESSION_SNAPPY != 0, data, end })
}

/// Whether an intact fragment starts at or after `from`. In `from`'s page any offset may start one, as
/// damage leaves no trustworthy length to follow; in later pages fragments are followed from the page
/// start, where one always begins. Only fragments with data count: an empty one's CRC is 0, so seven
/// bytes such as `1 0 0 0 0 0 0` inside other data would pass for one.
fn intact_from(bytes: &[u8], from: usize) -> bool {
    let intact = |pos| matches!(parse_at(bytes, pos), Ok(Parsed::Fragment { data, .. }) if !data.is_empty());
    let page_end = next_page(from).min(bytes.len());
    if (from..page_end).any(|pos| bytes[pos] != 0 && intact(pos)) {
        return true;
    }
    let mut pos = page_end;
    while pos < bytes.len() {
        match parse_at(bytes, pos) {
            Ok(Parsed::Fragment { data: [], end, .. }) => pos = end,
            Ok(Parsed::Fragment { .. }) => return true,
            Ok(Parsed::Padding { end }) => pos = end,
            Err(_) => pos = next_page(pos),
        }
    }
    false
}

/// The records of one segment up to its end or its first damage.
struct Scan {
    records: Vec<Record>,
    /// The end of the last complete record.
    good_end: usize,
    damage: Option<Found>,
}

fn scan(bytes: &[u8]) -> Scan {
    let mut records = Vec::new();
    let mut good_end = 0;
    let mut pos = 0;
    let mut rec = Vec::new();
    // Start and compression of the record being assembled.
    let mut open: Option<(usize, bool)> = None;
    let fail = |records: Vec<Record>, good_end: usize, at: usize, damage: Damage, resume: usize| Scan {
        records,
        good_end,
        damage: Some(Found { at, damage, resume }),
    };
    while pos < bytes.len() {
        let (kind, compressed, data, end) = match parse_at(bytes, pos) {
            Ok(Parsed::Padding { .. }) if open.is_some() => {
                return fail(records, good_end, pos, Damage::Interrupted, pos + 1);
            }
            Ok(Parsed::Padding { end }) => {
                pos = end;
                continue;
            }
            Ok(Parsed::Fragment { kind, compressed, data, end }) => (kind, compressed, data, end),
            Err(found) => return Scan { records, good_end, damage: Some(found) },
        };
        // This fragment is intact, so the search for intact data starts at it: never a torn tail.
        let starts = matches!(kind, Fragment::Full | Fragment::First);
        if starts == open.is_some() {
            return fail(records, good_end, pos, Damage::Sequence { got: kind, inside: open.is_some() }, pos);
        }
        let (start, record_compressed) = *open.get_or_insert((pos, compressed));
        if compressed != record_compressed {
            return fail(records, good_end, pos, Damage::MixedCompression, pos);
        }
        rec.extend_from_slice(data);
        pos = end;
        if matches!(kind, Fragment::First | Fragment::Middle) {
            continue;
        }
        open = None;
        let decoded = if compressed {
            snap::raw::Decoder::new().decompress_vec(&rec).map_err(|e| Damage::Snappy(Box::new(e)))
        } else {
            Ok(std::mem::take(&mut rec))
        }
        .and_then(|rec| record::decode(&rec).map_err(|e| Damage::Record(Box::new(e))));
        rec.clear();
        match decoded {
            Ok(r) => records.push(r),
            Err(damage) => return fail(records, good_end, start, damage, start),
        }
        good_end = end;
    }
    if let Some((start, _)) = open {
        return fail(records, good_end, start, Damage::Incomplete, bytes.len());
    }
    Scan { records, good_end, damage: None }
}

/// The records of the segment `bytes` read from `path`. With `tail`, damage that no intact fragment
/// follows is a torn tail; otherwise any damage is an error.
pub(super) fn read_segment(
    path: &Path,
    segment: u64,
    bytes: &[u8],
    tail: bool,
) -> Result<(Vec<Record>, Option<TornTail>), Error> {
    let Scan { records, good_end, damage } = scan(bytes);
    let Some(Found { at, damage, resume }) = damage else { return Ok((records, None)) };
    if tail && !intact_from(bytes, resume) {
        let torn = TornTail {
            path: path.to_path_buf(),
            segment,
            offset: good_end as u64,
            dropped: (bytes.len() - good_end) as u64,
            damage,
        };
        return Ok((records, Some(torn)));
    }
    Err(Error::WalCorrupt { path: path.to_path_buf(), offset: at as u64, damage })
}

/// Reads a WAL's records in order: the last checkpoint's, then every segment after it. Damage is an
/// error except for a torn tail of the last segment, which ends reading and is kept in
/// [`WalReader::torn_tail`]. One segment is in memory at a time.
#[derive(Debug)]
pub struct WalReader {
    /// Segment files still to read, each with its number and whether it may have a torn tail.
    pending: VecDeque<(PathBuf, u64, bool)>,
    records: std::vec::IntoIter<Record>,
    torn_tail: Option<TornTail>,
}

impl WalReader {
    /// A reader of the WAL directory `dir`; one that does not exist reads as empty.
    pub fn open(dir: &Path) -> Result<WalReader, Error> {
        let mut pending = VecDeque::new();
        if dir.exists() {
            let Layout { checkpoint, segments, .. } = layout(dir)?;
            if let Some((_, cp)) = checkpoint {
                let inner = layout(&cp)?;
                pending.extend(inner.segments.into_iter().map(|n| (super::segment_path(&cp, n), n, false)));
            }
            let last = segments.last().copied();
            pending.extend(segments.into_iter().map(|n| (super::segment_path(dir, n), n, Some(n) == last)));
        }
        Ok(WalReader { pending, records: Vec::new().into_iter(), torn_tail: None })
    }

    /// The torn tail of the last segment, once reading has reached it.
    pub fn torn_tail(&self) -> Option<&TornTail> {
        self.torn_tail.as_ref()
    }

    pub fn into_torn_tail(self) -> Option<TornTail> {
        self.torn_tail
    }
}

impl Iterator for WalReader {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Result<Record, Error>> {
        loop {
            if let Some(r) = self.records.next() {
                return Some(Ok(r));
            }
            let (path, segment, tail) = self.pending.pop_front()?;
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    self.pending.clear();
                    return Some(Err(Error::io("read", path)(e)));
                }
            };
            match read_segment(&path, segment, &bytes, tail) {
                Ok((records, torn)) => {
                    self.records = records.into_iter();
                    self.torn_tail = torn;
                }
                Err(e) => {
                    self.pending.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{labels, log_samples, log_series, plain, Plain, STALE_NAN};
    use super::super::{repair, replay, segment_path, Wal, DEFAULT_SEGMENT_SIZE};
    use super::*;

    /// A WAL of one segment: a series record over three pages (first, middle, last), then in the last
    /// page small records with special values. Returns the segment's bytes and what was logged.
    fn fixture(dir: &Path) -> (Vec<u8>, Vec<Plain>) {
        let mut wal = Wal::open(dir, DEFAULT_SEGMENT_SIZE).unwrap();
        let big = labels(&[("__name__", "big"), ("v", &"é".repeat(35_000))]);
        let mut want = vec![log_series(&mut wal, &[(1, labels(&[("a", "b")])), (2, big)])];
        let specials = [f64::from_bits(STALE_NAN), f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 1.5];
        for i in 0..60 {
            let v = specials[i % specials.len()];
            want.push(log_samples(&mut wal, &[(2, 1000 - i as i64, v), (1, 900, -v)]));
        }
        wal.close().unwrap();
        let bytes = std::fs::read(segment_path(dir, 0)).unwrap();
        assert!(bytes.len() > 2 * PAGE_SIZE + 2000 && bytes.len() < 3 * PAGE_SIZE);
        (bytes, want)
    }

    fn read(bytes: &[u8], tail: bool) -> Result<(Vec<Plain>, Option<TornTail>), Error> {
        read_segment(Path::new("wal/00000000"), 0, bytes, tail).map(|(r, t)| (plain(&r), t))
    }

    /// The records of a read that found no damage.
    fn clean((records, torn): (Vec<Plain>, Option<TornTail>)) -> Vec<Plain> {
        assert!(torn.is_none(), "{torn:?}");
        records
    }

    /// Offsets where each record ends.
    fn record_ends(bytes: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < bytes.len() {
            match parse_at(bytes, pos) {
                Ok(Parsed::Padding { end }) => pos = end,
                Ok(Parsed::Fragment { kind, end, .. }) => {
                    if matches!(kind, Fragment::Full | Fragment::Last) {
                        out.push(end);
                    }
                    pos = end;
                }
                Err(_) => panic!("damage at {pos}"),
            }
        }
        out
    }

    /// Offsets where each fragment starts.
    fn fragment_starts(bytes: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < bytes.len() {
            match parse_at(bytes, pos) {
                Ok(Parsed::Padding { end }) => pos = end,
                Ok(Parsed::Fragment { end, .. }) => {
                    out.push(pos);
                    pos = end;
                }
                Err(_) => panic!("damage at {pos}"),
            }
        }
        out
    }

    #[test]
    fn a_torn_tail_is_dropped_at_every_offset_of_the_last_page() {
        let tmp = tempfile::tempdir().unwrap();
        let (bytes, want) = fixture(tmp.path());
        assert_eq!(clean(read(&bytes, true).unwrap()), want);
        let ends = record_ends(&bytes);
        assert_eq!(ends.len(), want.len());
        for cut in 2 * PAGE_SIZE..=bytes.len() {
            let (got, torn) = read(&bytes[..cut], true).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            // Whole records only, in order.
            assert_eq!(got[..], want[..got.len()], "cut at {cut}");
            // Torn unless cut right after a record; the good part ends after the last whole one.
            assert_eq!(torn.is_none(), ends.contains(&cut), "cut at {cut}");
            match torn {
                None => assert_eq!(got.len(), ends.iter().filter(|&&e| e <= cut).count()),
                Some(t) => {
                    assert_eq!(t.offset + t.dropped, cut as u64);
                    assert_eq!(
                        t.offset as usize,
                        ends.iter().copied().filter(|&e| e <= cut).max().unwrap_or(0)
                    );
                    // The good part is exactly the records returned.
                    let good = &bytes[..t.offset as usize];
                    assert_eq!(clean(read(good, false).unwrap()), got, "cut at {cut}");
                    assert!(matches!(t.damage, Damage::Cut { .. } | Damage::Incomplete), "{:?}", t.damage);
                }
            }
            // Mid-record, the first page's first fragment is still open: never a partial record.
            if cut < 2 * PAGE_SIZE + HEADER_SIZE {
                assert_eq!(read(&bytes[..cut], true).unwrap().0.len(), 0);
            }
        }
    }

    #[test]
    fn zeros_after_the_data_are_padding_or_a_torn_tail() {
        let tmp = tempfile::tempdir().unwrap();
        let (bytes, want) = fixture(tmp.path());
        // Zeros past the end (a file extended but not written) are padding.
        let mut padded = bytes.clone();
        padded.resize(bytes.len() + 2 * PAGE_SIZE + 100, 0);
        assert_eq!(clean(read(&padded, true).unwrap()), want);

        // The last record's header written, its data not.
        let starts = fragment_starts(&bytes);
        let last = *starts.last().unwrap();
        let mut zeroed = bytes.clone();
        zeroed[last + HEADER_SIZE..].fill(0);
        let (got, torn) = read(&zeroed, true).unwrap();
        assert_eq!(got[..], want[..want.len() - 1]);
        let torn = torn.unwrap();
        assert!(matches!(torn.damage, Damage::Checksum { .. }));
        assert_eq!((torn.offset, torn.dropped), (last as u64, (bytes.len() - last) as u64));

        // The big record's middle and last pages never written.
        let mut hole = bytes[..PAGE_SIZE].to_vec();
        hole.resize(3 * PAGE_SIZE, 0);
        let (got, torn) = read(&hole, true).unwrap();
        assert_eq!(got, []);
        assert!(matches!(torn.unwrap().damage, Damage::Interrupted));
    }

    #[test]
    fn damage_before_the_tail_is_an_error_naming_segment_and_offset() {
        let tmp = tempfile::tempdir().unwrap();
        let (bytes, want) = fixture(tmp.path());
        let starts = fragment_starts(&bytes);
        let corrupt = |at: usize, tail: bool| {
            let mut b = bytes.clone();
            b[at] ^= 0x40;
            read(&b, tail)
        };

        // A bit flipped in a record with records after it, in each page.
        for &start in &[starts[0], starts[1], starts[2], starts[3], starts[20]] {
            let err = corrupt(start + HEADER_SIZE + 1, true).unwrap_err();
            let Error::WalCorrupt { path, offset, damage: Damage::Checksum { .. } } = &err else {
                panic!("{err}")
            };
            assert_eq!((path.as_path(), *offset), (Path::new("wal/00000000"), start as u64));
            assert!(err
                .to_string()
                .starts_with(&format!("WAL segment wal/00000000 at offset {start}: fragment checksum")));
        }
        // In the last record it is a torn tail; in a segment before the last, an error.
        let last = *starts.last().unwrap();
        let (got, torn) = corrupt(bytes.len() - 1, true).unwrap();
        assert_eq!((got.len(), torn.unwrap().offset), (want.len() - 1, last as u64));
        assert!(matches!(corrupt(bytes.len() - 1, false), Err(Error::WalCorrupt { .. })));

        // Broken headers: type bits, unknown flags, a length past the page, non-zero padding.
        let mut b = bytes.clone();
        b[starts[20]] = 0x21;
        assert!(matches!(read(&b, true), Err(Error::WalCorrupt { damage: Damage::FragmentType(0x21), .. })));
        b[starts[20]] = 0x05;
        assert!(matches!(read(&b, true), Err(Error::WalCorrupt { damage: Damage::FragmentType(5), .. })));
        let mut b = bytes.clone();
        b[starts[20] + 1] = 0xff;
        assert!(matches!(
            read(&b, true),
            Err(Error::WalCorrupt { damage: Damage::FragmentLength { .. }, .. })
        ));
        // Non-zero padding: a torn tail at the end, corruption with an intact page after it.
        let mut b = bytes.clone();
        b.resize(3 * PAGE_SIZE, 0);
        b[bytes.len() + 10] = 1;
        let torn = read(&b, true).unwrap().1.unwrap();
        assert!(matches!(torn.damage, Damage::Padding));
        assert_eq!(torn.offset as usize, bytes.len());
        let full = &bytes[starts[3]..starts[4]];
        b.extend_from_slice(full);
        let err = read(&b, true).unwrap_err();
        let at = bytes.len() as u64 + 10;
        assert!(
            matches!(err, Error::WalCorrupt { damage: Damage::Padding, offset, .. } if offset == at),
            "{err}"
        );
        // A middle fragment where a record should start.
        let mut b = bytes.clone();
        b[starts[20]] = Fragment::Middle as u8;
        assert!(matches!(
            read(&b, true),
            Err(Error::WalCorrupt { damage: Damage::Sequence { got: Fragment::Middle, inside: false }, .. })
        ));
    }

    /// A fragment with a correct CRC.
    fn fragment(header: u8, data: &[u8]) -> Vec<u8> {
        let mut out = vec![header];
        out.extend((data.len() as u16).to_be_bytes());
        out.extend(crc32c(data).to_be_bytes());
        out.extend(data);
        out
    }

    #[test]
    fn a_record_that_does_not_decode_is_corruption() {
        let full = Fragment::Full as u8;
        let good = fragment(full, &[1]);
        let snappy = COMPRESSION_SNAPPY;
        let compressed = snap::raw::Encoder::new().compress_vec(&[1]).unwrap();
        let mixed =
            [fragment(Fragment::First as u8 | snappy, &compressed), fragment(Fragment::Last as u8, &[1])];
        let cases = [
            // A samples record cut inside its first value.
            (
                fragment(full, &[2; 20]),
                "record does not decode: WAL samples record: need 8 bytes at offset 19",
            ),
            (fragment(full | snappy, &[0xff; 9]), "snappy: "),
            (mixed.concat(), "record mixes compressed and uncompressed fragments"),
        ];
        for (bad, expected) in cases {
            // Followed by a good record, so none of it is a torn tail.
            let err = read(&[bad, good.clone()].concat(), true).unwrap_err();
            assert!(matches!(err, Error::WalCorrupt { .. }), "{err}");
            assert!(err.to_string().contains(expected), "{err}");
        }
        let ok = [fragment(full | snappy, &compressed), good].concat();
        assert_eq!(clean(read(&ok, true).unwrap()), [Plain::Series(vec![]), Plain::Series(vec![])]);
    }

    #[test]
    fn repair_cuts_the_tail_so_appends_can_continue() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (bytes, mut want) = fixture(dir);
        let path = segment_path(dir, 0);
        let starts = fragment_starts(&bytes);
        // Mid-header, mid-data, and inside the three-page record.
        for cut in [bytes.len() - 3, starts[30] + 2, starts[1] + 100, PAGE_SIZE + 5] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let replayed = replay(dir).unwrap();
            let torn = replayed.torn_tail.unwrap();
            assert_eq!((torn.path.as_path(), torn.segment), (path.as_path(), 0));
            assert_eq!(torn.offset + torn.dropped, cut as u64);
            let kept = replayed.records.len();

            let mut wal = Wal::open(dir, DEFAULT_SEGMENT_SIZE).unwrap();
            assert_eq!(std::fs::metadata(&path).unwrap().len(), torn.offset);
            let more = log_samples(&mut wal, &[(1, 5000, 5.0)]);
            wal.close().unwrap();
            let again = replay(dir).unwrap();
            assert!(again.torn_tail.is_none());
            let mut expect = want[..kept].to_vec();
            expect.push(more);
            assert_eq!(plain(&again.records), expect);
            std::fs::remove_file(segment_path(dir, 1)).unwrap();
        }
        // Nothing to repair in a whole segment; corruption is refused and left as it is.
        std::fs::write(&path, &bytes).unwrap();
        assert!(repair(dir).unwrap().is_none());
        let mut bad = bytes.clone();
        bad[starts[5] + HEADER_SIZE] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        assert!(matches!(repair(dir), Err(Error::WalCorrupt { .. })));
        assert!(matches!(Wal::open(dir, DEFAULT_SEGMENT_SIZE), Err(Error::WalCorrupt { .. })));
        assert_eq!(std::fs::read(&path).unwrap(), bad);
        want.clear();
    }

    #[test]
    fn only_the_last_segment_may_be_torn() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut wal = Wal::open(dir, PAGE_SIZE).unwrap();
        log_series(&mut wal, &[(1, labels(&[("a", "b")]))]);
        log_samples(&mut wal, &[(1, 1, 1.0)]);
        wal.cut_segment().unwrap();
        log_samples(&mut wal, &[(1, 2, 2.0)]);
        wal.close().unwrap();
        // Segment 0 cut inside its last record: a torn tail there is corruption, as segment 1 follows.
        let first = segment_path(dir, 0);
        let b = std::fs::read(&first).unwrap();
        let end = b.iter().rposition(|&x| x != 0).unwrap();
        std::fs::write(&first, &b[..end]).unwrap();
        let err = replay(dir).unwrap_err();
        assert!(matches!(&err, Error::WalCorrupt { path, .. } if *path == first), "{err}");

        // A damaged checkpoint is an error even at its end.
        std::fs::remove_file(&first).unwrap();
        let cp = dir.join("checkpoint.00000000");
        std::fs::create_dir(&cp).unwrap();
        std::fs::write(cp.join("00000000"), [Fragment::Full as u8, 0, 1, 0, 0, 0, 0, 0x55]).unwrap();
        assert!(matches!(replay(dir), Err(Error::WalCorrupt { damage: Damage::Checksum { .. }, .. })));
    }
}
