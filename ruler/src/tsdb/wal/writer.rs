//! Appending records: whole pages are written as they fill, the partial last page on [`Wal::flush`].

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use promapi::Labels;

use super::record::{self, MAX_SAMPLE_LEN, SAMPLES_HEADER_LEN};
use super::{
    checkpoint_path, layout, repair, segment_path, sync_dir, Fragment, COMPRESSION_SNAPPY, HEADER_SIZE,
    PAGE_SIZE,
};
use crate::tsdb::encoding::crc32c;
use crate::tsdb::Error;

/// Records are kept to about this size, so a batch does not force a new segment early; one series
/// larger than it still gets a record of its own.
const RECORD_TARGET: usize = 1024 * 1024;

/// A WAL being appended to. Records are buffered in the current page until it fills or [`Wal::flush`]
/// runs; [`Wal::sync`] makes everything logged so far durable, and only then may it be acknowledged.
#[derive(Debug)]
pub struct Wal {
    dir: PathBuf,
    pages_per_segment: usize,
    compress: bool,
    /// Number of the segment being written, and its file.
    segment: u64,
    path: PathBuf,
    file: File,
    /// The page being filled; zero past `alloc`.
    page: Vec<u8>,
    /// Bytes of `page` used.
    alloc: usize,
    /// Bytes of `page` already in the file.
    flushed: usize,
    /// Pages of the segment already in the file.
    done_pages: usize,
    /// The record being encoded.
    rec: Vec<u8>,
    /// Set once a write or sync failed: the file may end inside a page, so appending more could
    /// corrupt the log. Opening it again repairs it.
    failed: bool,
}

impl Wal {
    /// Opens the WAL in `dir`, creating it, and starts a new segment after the last one, as Prometheus
    /// does. A torn tail of the last segment is cut off first (see [`repair`]; replay before this to
    /// learn about it), and what an interrupted [`Wal::truncate_before`] left is removed.
    /// `segment_size` must be a multiple of [`PAGE_SIZE`], as Prometheus requires.
    pub fn open(dir: &Path, segment_size: usize) -> Result<Wal, Error> {
        if segment_size == 0 || segment_size % PAGE_SIZE != 0 {
            return Err(Error::WalSegmentSize { size: segment_size, page: PAGE_SIZE });
        }
        std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
        repair(dir)?;
        let layout = layout(dir)?;
        remove_segments(dir, &layout.covered)?;
        remove_dirs(&layout.stale_checkpoints)?;
        let next = match (layout.segments.last(), &layout.checkpoint) {
            (Some(last), _) => last + 1,
            (None, Some((cp, _))) => cp + 1,
            (None, None) => 0,
        };
        let (path, file) = create_segment(dir, next)?;
        Ok(Wal {
            dir: dir.to_path_buf(),
            pages_per_segment: segment_size / PAGE_SIZE,
            compress: false,
            segment: next,
            path,
            file,
            page: vec![0; PAGE_SIZE],
            alloc: 0,
            flushed: 0,
            done_pages: 0,
            rec: Vec::new(),
            failed: false,
        })
    }

    /// Compresses records with snappy from now on, where that makes them smaller (Prometheus' default).
    /// Off by default: the ruler's records are small, and the reader takes both.
    pub fn with_compression(mut self, on: bool) -> Wal {
        self.compress = on;
        self
    }

    /// The segment being written.
    pub fn segment(&self) -> u64 {
        self.segment
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Logs series under the references their samples will use. Nothing is logged if one is too large
    /// for a segment.
    pub fn log_series(&mut self, series: &[(u64, &Labels)]) -> Result<(), Error> {
        self.check()?;
        let max = self.max_record();
        if let Some(len) = series.iter().map(|(_, l)| 1 + record::series_entry_len(l)).find(|&n| n > max) {
            return Err(Error::WalRecordTooLarge { len, max });
        }
        let mut start = 0;
        let mut len = 1;
        for (i, (_, labels)) in series.iter().enumerate() {
            let entry = record::series_entry_len(labels);
            if i > start && len + entry > max.min(RECORD_TARGET) {
                self.log_with(|buf| record::encode_series(&series[start..i], buf))?;
                (start, len) = (i, 1);
            }
            len += entry;
        }
        if start < series.len() {
            self.log_with(|buf| record::encode_series(&series[start..], buf))?;
        }
        Ok(())
    }

    /// Logs samples, `(ref, t in ms, value)`, with the value's bits as given.
    pub fn log_samples(&mut self, samples: &[(u64, i64, f64)]) -> Result<(), Error> {
        self.check()?;
        let per_record = (self.max_record().min(RECORD_TARGET) - SAMPLES_HEADER_LEN) / MAX_SAMPLE_LEN;
        for part in samples.chunks(per_record) {
            self.log_with(|buf| record::encode_samples(part, buf))?;
        }
        Ok(())
    }

    /// Writes the partial page, so a crash of this process loses nothing logged so far.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.check()?;
        if self.alloc > self.flushed {
            self.write_page(self.alloc)?;
        }
        Ok(())
    }

    /// Flushes and syncs the segment, so nothing logged so far is lost even to a power failure.
    pub fn sync(&mut self) -> Result<(), Error> {
        self.flush()?;
        let synced = self.file.sync_data().map_err(Error::io("sync", &self.path));
        // After a failed fsync the kernel may have dropped the dirty pages: nothing after them is safe.
        self.failed |= synced.is_err();
        synced
    }

    /// Ends the current segment (its last page padded, synced) and starts the next; returns its number.
    pub fn cut_segment(&mut self) -> Result<u64, Error> {
        self.check()?;
        if self.alloc > 0 {
            self.finish_page()?;
        }
        self.sync()?;
        let created = create_segment(&self.dir, self.segment + 1);
        self.failed |= created.is_err();
        let (path, file) = created?;
        self.segment += 1;
        (self.path, self.file, self.done_pages) = (path, file, 0);
        Ok(self.segment)
    }

    /// Deletes the segments below `segment`, which must not be after the current one. The caller logs
    /// every live series again in `segment` or later first: older records are gone afterwards. What is
    /// logged is synced first, so that the series logged again are safe before the old ones go.
    ///
    /// A checkpoint `segment - 1` is written first, with no records (the series are in the segments
    /// that stay): Prometheus 2.42 reads a WAL from the segment after its newest checkpoint, or from
    /// segment 0 when there is none, and refuses to start if that segment is missing. Each step leaves
    /// a readable WAL, so a crash in between needs no recovery.
    pub fn truncate_before(&mut self, segment: u64) -> Result<(), Error> {
        if segment > self.segment {
            return Err(Error::WalLayout {
                dir: self.dir.clone(),
                reason: format!(
                    "cannot truncate before segment {segment}: the current one is {}",
                    self.segment
                ),
            });
        }
        self.sync()?;
        let layout = layout(&self.dir)?;
        let first = layout.segments.first().copied().unwrap_or(self.segment);
        if segment <= first {
            return Ok(());
        }
        let cp = checkpoint_path(&self.dir, segment - 1);
        let tmp = PathBuf::from({
            let mut s = cp.clone().into_os_string();
            s.push(".tmp");
            s
        });
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(Error::io("remove", &tmp))?;
        }
        std::fs::create_dir(&tmp).map_err(Error::io("create", &tmp))?;
        let (_, f) = create_segment(&tmp, 0)?;
        f.sync_all().map_err(Error::io("sync", &tmp))?;
        std::fs::rename(&tmp, &cp).map_err(Error::io("rename into place", &cp))?;
        sync_dir(&self.dir)?;

        let below: Vec<u64> =
            layout.covered.iter().chain(&layout.segments).copied().filter(|&n| n < segment).collect();
        remove_segments(&self.dir, &below)?;
        let mut old = layout.stale_checkpoints;
        old.extend(layout.checkpoint.map(|(_, p)| p));
        remove_dirs(&old)?;
        sync_dir(&self.dir)
    }

    /// Flushes and syncs, then closes.
    pub fn close(mut self) -> Result<(), Error> {
        self.sync()
    }

    /// The largest record a segment holds: every page's room after one header.
    fn max_record(&self) -> usize {
        self.pages_per_segment * (PAGE_SIZE - HEADER_SIZE)
    }

    fn check(&self) -> Result<(), Error> {
        match self.failed {
            true => Err(Error::WalFailed { path: self.path.clone() }),
            false => Ok(()),
        }
    }

    /// Writes `page[flushed..to]`.
    fn write_page(&mut self, to: usize) -> Result<(), Error> {
        let written =
            self.file.write_all(&self.page[self.flushed..to]).map_err(Error::io("write", &self.path));
        self.failed |= written.is_err();
        written?;
        self.flushed = to;
        Ok(())
    }

    /// Room for one record in the current segment.
    fn room(&self) -> usize {
        if self.done_pages == self.pages_per_segment {
            return 0;
        }
        let later_pages = self.pages_per_segment - self.done_pages - 1;
        PAGE_SIZE - self.alloc - HEADER_SIZE + later_pages * (PAGE_SIZE - HEADER_SIZE)
    }

    /// Encodes a record with `encode` into the scratch buffer and logs it.
    fn log_with(&mut self, encode: impl FnOnce(&mut Vec<u8>)) -> Result<(), Error> {
        let mut rec = std::mem::take(&mut self.rec);
        rec.clear();
        encode(&mut rec);
        let result = self.log(&rec);
        self.rec = rec;
        result
    }

    fn log(&mut self, rec: &[u8]) -> Result<(), Error> {
        let compressed = match self.compress {
            true => snap::raw::Encoder::new().compress_vec(rec).ok().filter(|c| c.len() < rec.len()),
            false => None,
        };
        let (data, flag) = match &compressed {
            Some(c) => (c.as_slice(), COMPRESSION_SNAPPY),
            None => (rec, 0),
        };
        if data.len() > self.max_record() {
            return Err(Error::WalRecordTooLarge { len: data.len(), max: self.max_record() });
        }
        // A record never crosses segments.
        if data.len() > self.room() {
            self.cut_segment()?;
        }
        let mut rest = data;
        let mut first = true;
        loop {
            let n = rest.len().min(PAGE_SIZE - self.alloc - HEADER_SIZE);
            let (part, after) = rest.split_at(n);
            let kind = match (first, after.is_empty()) {
                (true, true) => Fragment::Full,
                (true, false) => Fragment::First,
                (false, false) => Fragment::Middle,
                (false, true) => Fragment::Last,
            };
            let header = &mut self.page[self.alloc..self.alloc + HEADER_SIZE];
            header[0] = kind as u8 | flag;
            header[1..3].copy_from_slice(&(n as u16).to_be_bytes());
            header[3..7].copy_from_slice(&crc32c(part).to_be_bytes());
            self.page[self.alloc + HEADER_SIZE..self.alloc + HEADER_SIZE + n].copy_from_slice(part);
            self.alloc += HEADER_SIZE + n;
            // A fragment needs a header and at least one byte; one with no data would be legal but useless.
            if PAGE_SIZE - self.alloc <= HEADER_SIZE {
                self.finish_page()?;
            }
            if after.is_empty() {
                return Ok(());
            }
            (rest, first) = (after, false);
        }
    }

    /// Writes the rest of the page, zero-padded, and starts the next.
    fn finish_page(&mut self) -> Result<(), Error> {
        self.write_page(PAGE_SIZE)?;
        self.page.fill(0);
        (self.alloc, self.flushed) = (0, 0);
        self.done_pages += 1;
        Ok(())
    }
}

impl Drop for Wal {
    /// Writes what is buffered, best effort: errors show at the next open's repair, not here.
    fn drop(&mut self) {
        if !self.failed {
            let _ = self.flush();
        }
    }
}

/// Creates segment `n` in `dir` (which must not have it) and makes its name durable.
fn create_segment(dir: &Path, n: u64) -> Result<(PathBuf, File), Error> {
    let path = segment_path(dir, n);
    let file =
        OpenOptions::new().write(true).create_new(true).open(&path).map_err(Error::io("create", &path))?;
    sync_dir(dir)?;
    Ok((path, file))
}

/// Removes segments in ascending order, so that a crash leaves the rest consecutive.
fn remove_segments(dir: &Path, segments: &[u64]) -> Result<(), Error> {
    for &n in segments {
        let path = segment_path(dir, n);
        std::fs::remove_file(&path).map_err(Error::io("remove", &path))?;
    }
    Ok(())
}

fn remove_dirs(dirs: &[PathBuf]) -> Result<(), Error> {
    for d in dirs {
        std::fs::remove_dir_all(d).map_err(Error::io("remove", d))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{labels, log_fixture, log_samples, log_series, plain, Plain};
    use super::super::{replay, DEFAULT_SEGMENT_SIZE};
    use super::*;

    fn segment_bytes(dir: &Path, n: u64) -> Vec<u8> {
        std::fs::read(segment_path(dir, n)).unwrap()
    }

    /// Labels whose series record is exactly `len` bytes.
    fn series_of_record_len(len: usize) -> Labels {
        (0..len)
            .rev()
            .map(|n| labels(&[("a", &"x".repeat(n))]))
            .find(|l| 1 + record::series_entry_len(l) == len)
            .expect("a value length that fits")
    }

    /// The fragments of a segment: offset, header byte, length.
    fn fragments(bytes: &[u8]) -> Vec<(usize, u8, usize)> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < bytes.len() {
            if bytes[pos] == 0 {
                pos = (pos / PAGE_SIZE + 1) * PAGE_SIZE;
                continue;
            }
            let len = u16::from_be_bytes([bytes[pos + 1], bytes[pos + 2]]) as usize;
            out.push((pos, bytes[pos], len));
            pos += HEADER_SIZE + len;
        }
        out
    }

    #[test]
    fn records_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let mut wal = Wal::open(tmp.path(), DEFAULT_SEGMENT_SIZE).unwrap();
        let want = log_fixture(&mut wal);
        wal.close().unwrap();
        let got = replay(tmp.path()).unwrap();
        assert!(got.torn_tail.is_none());
        assert_eq!(plain(&got.records), want);
        assert_eq!(got.series().count(), 3);
        assert_eq!(got.samples().count(), 7 + 8000 + 100);
    }

    #[test]
    fn a_large_record_spans_pages_as_first_middle_last() {
        let tmp = tempfile::tempdir().unwrap();
        let mut wal = Wal::open(tmp.path(), DEFAULT_SEGMENT_SIZE).unwrap();
        let mut want = vec![log_series(&mut wal, &[(1, labels(&[("a", "b")]))])];
        let big: Vec<(u64, i64, f64)> = (0..8000).map(|i| (1, i * 1000, i as f64)).collect();
        want.push(log_samples(&mut wal, &big));
        want.push(log_samples(&mut wal, &[(1, 5, 5.0)]));
        wal.sync().unwrap();

        let bytes = segment_bytes(tmp.path(), 0);
        let kinds: Vec<(usize, u8, usize)> = fragments(&bytes);
        let room = PAGE_SIZE - HEADER_SIZE;
        let first_len = PAGE_SIZE - 2 * HEADER_SIZE - 14;
        // The series record (14 bytes), then the samples record over four pages, then a full one.
        assert_eq!(kinds[0], (0, Fragment::Full as u8, 14));
        assert_eq!(kinds[1], (HEADER_SIZE + 14, Fragment::First as u8, first_len));
        assert_eq!(kinds[2], (PAGE_SIZE, Fragment::Middle as u8, room));
        assert_eq!(kinds[3], (2 * PAGE_SIZE, Fragment::Middle as u8, room));
        let (at, kind, last_len) = kinds[4];
        assert_eq!((at, kind), (3 * PAGE_SIZE, Fragment::Last as u8));
        let mut rec = Vec::new();
        record::encode_samples(&big, &mut rec);
        assert_eq!(first_len + 2 * room + last_len, rec.len());
        assert_eq!(kinds[5].1, Fragment::Full as u8);
        assert_eq!(kinds.len(), 6);
        // Flushed, not padded: the file ends with the last record.
        assert_eq!(bytes.len(), kinds[5].0 + HEADER_SIZE + kinds[5].2);
        drop(wal);
        assert_eq!(plain(&replay(tmp.path()).unwrap().records), want);
    }

    #[test]
    fn a_page_is_padded_when_no_fragment_fits() {
        for left in [3, HEADER_SIZE, HEADER_SIZE + 1] {
            let tmp = tempfile::tempdir().unwrap();
            let mut wal = Wal::open(tmp.path(), DEFAULT_SEGMENT_SIZE).unwrap();
            let l = series_of_record_len(PAGE_SIZE - HEADER_SIZE - left);
            let mut want = vec![log_series(&mut wal, &[(1, l)])];
            wal.flush().unwrap();
            let bytes = segment_bytes(tmp.path(), 0);
            if left <= HEADER_SIZE {
                // The page is complete, zeros and all.
                assert_eq!(bytes.len(), PAGE_SIZE, "{left} bytes left");
                assert!(bytes[PAGE_SIZE - left..].iter().all(|&b| b == 0));
            } else {
                assert_eq!(bytes.len(), PAGE_SIZE - left);
            }
            want.push(log_samples(&mut wal, &[(1, 1, 1.0)]));
            wal.flush().unwrap();
            let frags = fragments(&segment_bytes(tmp.path(), 0));
            if left <= HEADER_SIZE {
                assert_eq!(frags[1], (PAGE_SIZE, Fragment::Full as u8, 27));
            } else {
                // One byte of the next record fits: first and last fragments.
                assert_eq!(frags[1], (PAGE_SIZE - left, Fragment::First as u8, 1));
                assert_eq!(frags[2], (PAGE_SIZE, Fragment::Last as u8, 26));
            }
            drop(wal);
            assert_eq!(plain(&replay(tmp.path()).unwrap().records), want, "{left} bytes left");
        }
    }

    #[test]
    fn records_never_cross_segments() {
        let tmp = tempfile::tempdir().unwrap();
        let mut wal = Wal::open(tmp.path(), 2 * PAGE_SIZE).unwrap();
        let mut want = vec![log_series(&mut wal, &[(1, labels(&[("a", "b")]))])];
        let samples = |n: i64| (0..n).map(|i| (1, i * 1000, i as f64)).collect::<Vec<_>>();
        for _ in 0..6 {
            // About 25 KiB each: two fit in a 64 KiB segment, a third does not.
            want.push(log_samples(&mut wal, &samples(2000)));
        }
        assert_eq!(wal.segment(), 2);
        // More than a segment holds: split into records that each fit.
        let huge = samples(10_000);
        wal.log_samples(&huge).unwrap();
        wal.close().unwrap();

        let last = (0..).take_while(|&n| segment_path(tmp.path(), n).exists()).last().unwrap();
        assert!(last > 3);
        for n in 0..=last {
            let bytes = segment_bytes(tmp.path(), n);
            if n < last {
                assert_eq!(bytes.len(), 2 * PAGE_SIZE, "segment {n} is padded to its size");
            }
            // Each segment decodes on its own: no record is left open at its end.
            let path = segment_path(tmp.path(), n);
            super::super::reader::read_segment(&path, n, &bytes, false).unwrap();
        }
        let got = plain(&replay(tmp.path()).unwrap().records);
        assert_eq!(got[..want.len()], want);
        let rest: Vec<(u64, i64, u64)> = got[want.len()..]
            .iter()
            .flat_map(|p| match p {
                Plain::Samples(s) => s.clone(),
                _ => panic!("only samples"),
            })
            .collect();
        assert!(got.len() - want.len() > 1);
        assert_eq!(rest, huge.iter().map(|&(r, t, v)| (r, t, v.to_bits())).collect::<Vec<_>>());

        // One series too large for any segment is refused, and nothing is written.
        let mut wal = Wal::open(tmp.path(), PAGE_SIZE).unwrap();
        let err = wal.log_series(&[(9, &series_of_record_len(PAGE_SIZE))]).unwrap_err();
        assert!(matches!(err, Error::WalRecordTooLarge { .. }), "{err}");
        wal.close().unwrap();
        assert!(segment_bytes(tmp.path(), last + 1).is_empty());
    }

    #[test]
    fn open_starts_a_new_segment_after_the_last() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("wal");
        let mut wal = Wal::open(&dir, PAGE_SIZE).unwrap();
        assert_eq!(wal.segment(), 0);
        let mut want = vec![log_series(&mut wal, &[(1, labels(&[("a", "b")]))])];
        assert_eq!(wal.cut_segment().unwrap(), 1);
        want.push(log_samples(&mut wal, &[(1, 10, 1.0)]));
        drop(wal);

        let mut wal = Wal::open(&dir, PAGE_SIZE).unwrap();
        assert_eq!(wal.segment(), 2);
        want.push(log_samples(&mut wal, &[(1, 20, 2.0)]));
        wal.close().unwrap();
        assert_eq!(plain(&replay(&dir).unwrap().records), want);

        for size in [0, 1000, PAGE_SIZE + 1] {
            assert!(matches!(Wal::open(&dir, size), Err(Error::WalSegmentSize { .. })));
        }
    }

    #[test]
    fn a_failed_write_stops_the_writer_until_reopened() {
        let tmp = tempfile::tempdir().unwrap();
        let mut wal = Wal::open(tmp.path(), PAGE_SIZE).unwrap();
        let mut want = vec![log_series(&mut wal, &[(1, labels(&[("a", "b")]))])];
        wal.sync().unwrap();
        // Every write now fails with ENOSPC.
        wal.file = OpenOptions::new().write(true).open("/dev/full").unwrap();
        wal.log_samples(&[(1, 1, 1.0)]).unwrap();
        assert!(matches!(wal.flush(), Err(Error::Io { .. })));
        for err in [wal.log_samples(&[(1, 2, 2.0)]), wal.sync(), wal.cut_segment().map(drop)] {
            assert!(matches!(err, Err(Error::WalFailed { .. })), "{err:?}");
        }
        drop(wal);

        let mut wal = Wal::open(tmp.path(), PAGE_SIZE).unwrap();
        want.push(log_samples(&mut wal, &[(1, 3, 3.0)]));
        wal.close().unwrap();
        assert_eq!(plain(&replay(tmp.path()).unwrap().records), want);
    }

    #[test]
    fn compressed_and_plain_records_mix() {
        let tmp = tempfile::tempdir().unwrap();
        let mut wal = Wal::open(tmp.path(), DEFAULT_SEGMENT_SIZE).unwrap().with_compression(true);
        let mut want = log_fixture(&mut wal);
        wal = wal.with_compression(false);
        want.push(log_samples(&mut wal, &[(1, 1, 1.0)]));
        wal.close().unwrap();

        let frags = fragments(&segment_bytes(tmp.path(), 0));
        // Every record compressed while it was on, the big one still over three pages; the last not.
        let (last, compressed) = frags.split_last().unwrap();
        assert!(compressed.iter().all(|f| f.1 & COMPRESSION_SNAPPY != 0), "{frags:?}");
        assert_eq!(compressed.iter().filter(|f| f.1 & 0x07 == Fragment::Middle as u8).count(), 1);
        assert_eq!(last.1, Fragment::Full as u8);
        assert_eq!(plain(&replay(tmp.path()).unwrap().records), want);
    }

    #[test]
    fn truncation_leaves_a_checkpoint_and_the_later_segments() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let a = labels(&[("__name__", "a")]);
        let mut wal = Wal::open(dir, PAGE_SIZE).unwrap();
        log_series(&mut wal, &[(1, a.clone())]);
        log_samples(&mut wal, &[(1, 1, 1.0)]);
        wal.cut_segment().unwrap();
        log_samples(&mut wal, &[(1, 2, 2.0)]);
        let k = wal.cut_segment().unwrap();
        let mut want = vec![log_series(&mut wal, &[(1, a.clone())])];
        want.push(log_samples(&mut wal, &[(1, 3, 3.0)]));
        wal.truncate_before(k).unwrap();
        wal.sync().unwrap();

        let names = |dir: &Path| {
            let mut n: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            n.sort();
            n
        };
        assert_eq!(names(dir), ["00000002", "checkpoint.00000001"]);
        assert_eq!(names(&dir.join("checkpoint.00000001")), ["00000000"]);
        assert_eq!(plain(&replay(dir).unwrap().records), want);

        // Again, later: the old checkpoint goes too. Truncating to where the log starts does nothing.
        let k = wal.cut_segment().unwrap();
        want = vec![log_series(&mut wal, &[(1, a.clone())])];
        wal.truncate_before(k).unwrap();
        wal.truncate_before(k).unwrap();
        assert_eq!(names(dir), ["00000003", "checkpoint.00000002"]);
        assert!(wal.truncate_before(k + 1).is_err());
        drop(wal);
        assert_eq!(plain(&replay(dir).unwrap().records), want);

        // An interrupted truncation (checkpoint written, old segment kept) reads the same, and the next
        // open finishes it.
        std::fs::write(segment_path(dir, 2), b"").unwrap();
        std::fs::create_dir(dir.join("checkpoint.00000001")).unwrap();
        assert_eq!(plain(&replay(dir).unwrap().records), want);
        let wal = Wal::open(dir, PAGE_SIZE).unwrap();
        assert_eq!(wal.segment(), 4);
        assert_eq!(names(dir), ["00000003", "00000004", "checkpoint.00000002"]);
    }
}
