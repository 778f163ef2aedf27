//! Chunk segment files, `chunks/000001` onwards.
//!
//! A segment is an 8-byte header (magic, version 1, three zero bytes) and then chunk records:
//! `uvarint(len(data)) | encoding | data | CRC-32C(encoding, data)`. A chunk is referenced from the index
//! by `segment << 32 | offset`, where `segment` is the 0-based position of the file among the segments
//! (so `000001` is 0) and `offset` the record's first byte.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::encoding::{crc32c, crc32c_append, put_uvarint, Decbuf, MAX_VARINT_LEN};
use super::Error;

/// First four bytes of a segment file.
pub const MAGIC_CHUNKS: u32 = 0x85BD_40DD;
/// The only segment format version.
pub const CHUNKS_FORMAT_V1: u8 = 1;
/// Magic, version and three bytes of padding.
pub const SEGMENT_HEADER_SIZE: u64 = 8;
/// Prometheus' default segment size; a segment never grows past it unless one chunk alone does.
pub const DEFAULT_SEGMENT_SIZE: u64 = 512 * 1024 * 1024;
/// The encoding byte of an XOR (float) chunk.
pub const ENCODING_XOR: u8 = 1;
/// Prometheus sizes records with the longest length field of a 32-bit length (`MaxChunkLengthFieldSize`).
const MAX_CHUNK_LENGTH_FIELD_SIZE: u64 = 5;

/// A chunk reference: segment index in the high 32 bits, byte offset in the low 32.
pub fn chunk_ref(segment: u32, offset: u32) -> u64 {
    (segment as u64) << 32 | offset as u64
}

/// Writes chunk records into numbered segment files under a `chunks` directory.
#[derive(Debug)]
pub struct SegmentWriter {
    dir: PathBuf,
    segment_size: u64,
    /// Segments written so far; the last is open in `out`.
    files: Vec<PathBuf>,
    out: Option<BufWriter<File>>,
    /// Bytes in the open segment, header included.
    n: u64,
}

impl SegmentWriter {
    /// Creates `dir` (normally `<block>/chunks`); no segment exists until the first chunk.
    pub fn new(dir: &Path, segment_size: u64) -> Result<SegmentWriter, Error> {
        std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
        Ok(SegmentWriter { dir: dir.to_path_buf(), segment_size, files: Vec::new(), out: None, n: 0 })
    }

    /// Writes one series' XOR chunks and returns their references. Where a new segment starts follows
    /// Prometheus' `Writer.WriteChunks`: it sizes each record with a 5-byte length field, and moves a
    /// series' later chunks to a new segment when they would overflow the current one.
    pub fn write_series(&mut self, chunks: &[&[u8]]) -> Result<Vec<u64>, Error> {
        // Indices at which a new segment starts, as WriteChunks batches them.
        let mut cuts = Vec::new();
        let mut batch = 0u64;
        let mut first_batch = true;
        for (i, c) in chunks.iter().enumerate() {
            let size = MAX_CHUNK_LENGTH_FIELD_SIZE + 1 + c.len() as u64 + 4;
            batch += size;
            let mut cut = i != 0 && batch + SEGMENT_HEADER_SIZE > self.segment_size;
            if first_batch && self.n > SEGMENT_HEADER_SIZE {
                cut = batch + self.n > self.segment_size;
                if cut {
                    first_batch = false;
                }
            }
            if cut {
                cuts.push(i);
                batch = size;
            }
        }
        if self.out.is_none() {
            self.cut()?;
        }
        let mut refs = Vec::with_capacity(chunks.len());
        for (i, c) in chunks.iter().enumerate() {
            if cuts.contains(&i) {
                self.cut()?;
            }
            refs.push(self.write_chunk(c)?);
        }
        Ok(refs)
    }

    fn write_chunk(&mut self, data: &[u8]) -> Result<u64, Error> {
        let segment = u32::try_from(self.files.len() - 1).expect("fewer than 2^32 segments");
        let offset = u32::try_from(self.n).map_err(|_| {
            Error::malformed("chunk segment", self.n, "offset exceeds 4 GiB; the segment size is too large")
        })?;
        let mut head = Vec::with_capacity(MAX_VARINT_LEN + 1);
        put_uvarint(&mut head, data.len() as u64);
        head.push(ENCODING_XOR);
        let crc = crc32c_append(crc32c(&[ENCODING_XOR]), data);
        let path = self.files.last().expect("a segment is open").clone();
        let out = self.out.as_mut().expect("a segment is open");
        out.write_all(&head)
            .and_then(|()| out.write_all(data))
            .and_then(|()| out.write_all(&crc.to_be_bytes()))
            .map_err(Error::io("write", path))?;
        self.n += head.len() as u64 + data.len() as u64 + 4;
        Ok(chunk_ref(segment, offset))
    }

    /// Finishes the open segment and starts the next, `%06d` from 1.
    fn cut(&mut self) -> Result<(), Error> {
        self.finish_segment()?;
        let path = self.dir.join(format!("{:06}", self.files.len() + 1));
        let f = File::create(&path).map_err(Error::io("create", &path))?;
        let mut out = BufWriter::with_capacity(1 << 20, f);
        let mut header = [0u8; SEGMENT_HEADER_SIZE as usize];
        header[..4].copy_from_slice(&MAGIC_CHUNKS.to_be_bytes());
        header[4] = CHUNKS_FORMAT_V1;
        out.write_all(&header).map_err(Error::io("write", &path))?;
        self.files.push(path);
        self.out = Some(out);
        self.n = SEGMENT_HEADER_SIZE;
        Ok(())
    }

    fn finish_segment(&mut self) -> Result<(), Error> {
        if let Some(out) = self.out.take() {
            let path = self.files.last().expect("a segment is open");
            let f = out.into_inner().map_err(|e| Error::io("write", path)(e.into_error()))?;
            f.sync_all().map_err(Error::io("sync", path))?;
        }
        Ok(())
    }

    /// Flushes and syncs the last segment and the directory; returns the segment paths.
    pub fn finish(mut self) -> Result<Vec<PathBuf>, Error> {
        self.finish_segment()?;
        super::sync_dir(&self.dir)?;
        Ok(self.files)
    }
}

/// The segments of a block, kept open; a chunk is read from its file when asked for, so a block
/// costs no memory for its samples (the page cache holds what is read often).
#[derive(Debug)]
pub struct ChunkReader {
    segments: Vec<Segment>,
}

#[derive(Debug)]
struct Segment {
    path: PathBuf,
    file: File,
    len: u64,
}

/// Bytes read for a chunk at first: most chunks (120 samples) fit, larger ones take a second read.
const FIRST_READ: usize = 512;

impl ChunkReader {
    /// Opens every segment in `dir`: numeric names only, numbered 1, 2, … without gaps.
    pub fn open(dir: &Path) -> Result<ChunkReader, Error> {
        let mut numbered = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(Error::io("read directory", dir))? {
            let entry = entry.map_err(Error::io("read directory", dir))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if let Ok(n) = name.parse::<u64>() {
                numbered.push((n, entry.path()));
            }
        }
        numbered.sort();
        let mut segments = Vec::with_capacity(numbered.len());
        for (i, (n, path)) in numbered.into_iter().enumerate() {
            if n != i as u64 + 1 {
                return Err(Error::malformed(
                    "chunk segment",
                    0,
                    format!("expected segment {}, found {}", i + 1, path.display()),
                ));
            }
            let file = File::open(&path).map_err(Error::io("open", &path))?;
            let len = file.metadata().map_err(Error::io("read", &path))?.len();
            let segment = Segment { path, file, len };
            let header = segment.read(0, SEGMENT_HEADER_SIZE as usize)?;
            let mut d = Decbuf::new(&header, 0, "chunk segment header");
            let magic = d.be32()?;
            if magic != MAGIC_CHUNKS {
                return Err(Error::Magic { what: "chunk segment", expected: MAGIC_CHUNKS, got: magic });
            }
            let version = d.byte()?;
            if version != CHUNKS_FORMAT_V1 {
                return Err(Error::Version {
                    what: "chunk segment",
                    expected: CHUNKS_FORMAT_V1 as u32,
                    got: version as u32,
                });
            }
            if d.bytes(3)? != [0, 0, 0] {
                return Err(d.malformed("header padding is not zero"));
            }
            segments.push(segment);
        }
        Ok(ChunkReader { segments })
    }

    /// The XOR data of the chunk at `r`, its checksum verified.
    pub fn chunk(&self, r: u64) -> Result<Vec<u8>, Error> {
        let (segment, offset) = ((r >> 32) as usize, r & 0xffff_ffff);
        let seg = self.segments.get(segment).ok_or_else(|| {
            Error::malformed("chunk reference", r, format!("segment {segment} does not exist"))
        })?;
        if offset < SEGMENT_HEADER_SIZE || offset >= seg.len {
            return Err(Error::malformed(
                "chunk reference",
                r,
                format!("offset {offset} is outside segment {segment}"),
            ));
        }
        let mut bytes = seg.read(offset, FIRST_READ)?;
        let mut d = Decbuf::new(&bytes, offset, "chunk");
        let len = d.uvarint()?;
        let len = usize::try_from(len).map_err(|_| d.malformed(format!("length {len} too large")))?;
        let start = d.pos();
        // Encoding byte, data and CRC.
        let whole = start.saturating_add(len).saturating_add(5);
        if whole > bytes.len() {
            bytes = seg.read(offset, whole)?;
        }
        let mut d = Decbuf::new(&bytes, offset, "chunk");
        d.skip(start)?;
        let encoding = d.byte()?;
        if encoding != ENCODING_XOR {
            return Err(d.malformed(format!("encoding {encoding} is not XOR ({ENCODING_XOR})")));
        }
        let data = d.bytes(len)?.to_vec();
        d.check_crc(start)?;
        Ok(data)
    }

    /// Total bytes of all segments, for tests and stats.
    pub fn size(&self) -> u64 {
        self.segments.iter().map(|s| s.len).sum()
    }

    pub fn num_segments(&self) -> usize {
        self.segments.len()
    }
}

impl Segment {
    /// Up to `n` bytes from `offset`, fewer where the file ends.
    fn read(&self, offset: u64, n: usize) -> Result<Vec<u8>, Error> {
        use std::os::unix::fs::FileExt;
        let n = n.min(self.len.saturating_sub(offset) as usize);
        let mut buf = vec![0; n];
        self.file.read_exact_at(&mut buf, offset).map_err(Error::io("read", &self.path))?;
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_crc(data: &[u8]) -> u32 {
        let mut b = vec![ENCODING_XOR];
        b.extend_from_slice(data);
        crc32c(&b)
    }

    fn write(dir: &Path, segment_size: u64, series: &[Vec<Vec<u8>>]) -> Vec<Vec<u64>> {
        let mut w = SegmentWriter::new(dir, segment_size).unwrap();
        let refs = series
            .iter()
            .map(|chunks| w.write_series(&chunks.iter().map(|c| c.as_slice()).collect::<Vec<_>>()).unwrap())
            .collect();
        w.finish().unwrap();
        refs
    }

    #[test]
    fn records_round_trip_with_header_and_refs() {
        let tmp = tempfile::tempdir().unwrap();
        let a = vec![0u8, 1, 0xaa];
        let b = vec![7u8; 200]; // a two-byte length
        let refs = write(tmp.path(), DEFAULT_SEGMENT_SIZE, &[vec![a.clone(), b.clone()]]);
        // The first record starts right after the header; the second after 1 + 1 + 3 + 4 bytes.
        assert_eq!(refs, [vec![8, 17]]);

        let file = std::fs::read(tmp.path().join("000001")).unwrap();
        assert_eq!(file[..8], [0x85, 0xBD, 0x40, 0xDD, 0x01, 0, 0, 0]);
        assert_eq!(file[8..13], [3, ENCODING_XOR, 0, 1, 0xaa]);
        assert_eq!(file[13..17], record_crc(&a).to_be_bytes());
        assert_eq!(file[17..19], [0xc8, 0x01]);
        assert_eq!(file.len(), 17 + 2 + 1 + 200 + 4);

        let r = ChunkReader::open(tmp.path()).unwrap();
        assert_eq!(r.chunk(8).unwrap(), a);
        assert_eq!(r.chunk(17).unwrap(), b);
    }

    #[test]
    fn segments_are_cut_at_the_size_limit() {
        let tmp = tempfile::tempdir().unwrap();
        // Each record is estimated at 5 + 1 + 100 + 4 = 110 bytes (and takes 106): 8 + 2 * 110 fits in
        // 250, a third does not. Series two's first chunk still fits beside series one's third
        // (114 + 110 <= 250); with its second the batch would not, so that one starts segment 3.
        let c = vec![1u8; 100];
        let refs =
            write(tmp.path(), 250, &[vec![c.clone(), c.clone(), c.clone()], vec![c.clone(), c.clone()]]);
        assert_eq!(refs[0], [8, 114, chunk_ref(1, 8)]);
        assert_eq!(refs[1], [chunk_ref(1, 114), chunk_ref(2, 8)]);
        let r = ChunkReader::open(tmp.path()).unwrap();
        assert_eq!(r.num_segments(), 3);
        for s in &refs {
            for &x in s {
                assert_eq!(r.chunk(x).unwrap(), c);
            }
        }
    }

    #[test]
    fn reader_rejects_damage() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), DEFAULT_SEGMENT_SIZE, &[vec![vec![1, 2, 3]]]);
        let path = tmp.path().join("000001");
        let good = std::fs::read(&path).unwrap();

        let mut bad = good.clone();
        bad[10] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        assert!(matches!(ChunkReader::open(tmp.path()).unwrap().chunk(8), Err(Error::Checksum { .. })));

        let mut bad = good.clone();
        bad[0] = 0;
        std::fs::write(&path, &bad).unwrap();
        assert!(matches!(ChunkReader::open(tmp.path()), Err(Error::Magic { .. })));

        std::fs::write(&path, &good).unwrap();
        let r = ChunkReader::open(tmp.path()).unwrap();
        assert!(r.chunk(chunk_ref(1, 8)).is_err());
        assert!(r.chunk(4).is_err());
    }
}
