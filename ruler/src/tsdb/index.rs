//! The `index` file, format v2: symbols, series with their chunk metas, label indices, postings, the two
//! offset tables and the table of contents, laid out byte for byte as Prometheus' `index.Writer` does.
//!
//! ```text
//! magic BAAAD700 | version 2
//! symbol table          len | #symbols | uvarint-prefixed strings, ascending | CRC
//! series                each 16-byte aligned: uvarint len | labels as symbol refs | chunk metas | CRC
//! label indices         each 4-byte aligned: len | 1 | #values | value symbol refs | CRC   (legacy)
//! postings              each 4-byte aligned: len | #ids | series ids | CRC; first the ""="" list of all
//! label offset table    len | #entries | {1, name, offset} | CRC                           (legacy)
//! postings offset table len | #entries | {2, name, value, offset}, sorted, ""="" first | CRC
//! TOC                   six u64 section offsets | CRC
//! ```
//! A series' id is its offset / 16; postings hold ids. Lengths and CRCs are big-endian u32; a CRC covers
//! what its length covers (for series: the entry after the length).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use promapi::Labels;

use super::encoding::{
    pad_to, put_be32, put_be64, put_crc_of, put_uvarint, put_uvarint_str, put_varint, Decbuf,
};
use super::{fmt_labels, owned_labels, Error};

/// First four bytes of an index file.
pub const MAGIC_INDEX: u32 = 0xBAAA_D700;
/// The index format written and read (v1 refers to series by byte offset and is not supported).
pub const INDEX_VERSION: u8 = 2;
/// Magic and version.
const HEADER_LEN: u64 = 5;
/// Six section offsets and a CRC.
const TOC_LEN: u64 = 6 * 8 + 4;
/// Series entries start on multiples of this, so a u32 id (offset / 16) reaches 64 GiB.
const SERIES_ALIGN: usize = 16;

/// Where a chunk is and which samples it spans; both times inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkMeta {
    pub min_t: i64,
    pub max_t: i64,
    /// `segment << 32 | offset`, see [`super::chunks`].
    pub chunk_ref: u64,
}

/// Offsets of the sections, in the TOC's field order (which is not the file order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Toc {
    pub symbols: u64,
    pub series: u64,
    pub label_indices: u64,
    pub label_indices_table: u64,
    pub postings: u64,
    pub postings_table: u64,
}

/// Reserves a length field; [`end_section`] fills it in and appends the CRC of what it covers.
fn begin_section(buf: &mut Vec<u8>) -> usize {
    let at = buf.len();
    put_be32(buf, 0);
    at
}

fn end_section(buf: &mut Vec<u8>, at: usize) -> Result<(), Error> {
    let len = u32::try_from(buf.len() - at - 4)
        .map_err(|_| Error::malformed("index", at as u64, "section exceeds 4 GiB"))?;
    buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
    put_crc_of(buf, at + 4);
    Ok(())
}

/// Builds an index in memory: symbols first, then series in label order, then [`IndexWriter::finish`].
#[derive(Debug)]
pub struct IndexWriter {
    buf: Vec<u8>,
    toc: Toc,
    symbols: HashMap<String, u32>,
    last: Option<Labels>,
    last_ref: Option<u64>,
    /// Label name → value → ids of the series that have it.
    postings: BTreeMap<String, BTreeMap<String, Vec<u32>>>,
    all: Vec<u32>,
}

impl IndexWriter {
    /// Starts an index with every string the series will use, ascending by bytes without duplicates.
    /// Prometheus' blocks also hold `""` (its head lists the all-postings key among the symbols).
    pub fn new<'a>(symbols: impl IntoIterator<Item = &'a str>) -> Result<IndexWriter, Error> {
        let mut buf = Vec::with_capacity(1 << 16);
        put_be32(&mut buf, MAGIC_INDEX);
        buf.push(INDEX_VERSION);
        let toc = Toc { symbols: buf.len() as u64, ..Toc::default() };
        let at = begin_section(&mut buf);
        put_be32(&mut buf, 0); // count, filled in below
        let mut table = HashMap::new();
        let mut last: Option<&str> = None;
        for s in symbols {
            if last.is_some_and(|l| s <= l) {
                return Err(Error::malformed(
                    "symbol table",
                    buf.len() as u64,
                    format!("symbol {s:?} is not above {last:?}"),
                ));
            }
            last = Some(s);
            table.insert(s.to_string(), table.len() as u32);
            put_uvarint_str(&mut buf, s);
        }
        let count = u32::try_from(table.len())
            .map_err(|_| Error::malformed("symbol table", toc.symbols, "more than 2^32 symbols"))?;
        buf[at + 4..at + 8].copy_from_slice(&count.to_be_bytes());
        end_section(&mut buf, at)?;
        let toc = Toc { series: buf.len() as u64, ..toc };
        Ok(IndexWriter {
            buf,
            toc,
            symbols: table,
            last: None,
            last_ref: None,
            postings: BTreeMap::new(),
            all: Vec::new(),
        })
    }

    fn symbol(&self, s: &str, labels: &Labels) -> Result<u32, Error> {
        self.symbols.get(s).copied().ok_or_else(|| {
            Error::malformed(
                "series",
                self.buf.len() as u64,
                format!("{s:?} of {} is not a symbol", fmt_labels(labels)),
            )
        })
    }

    /// Adds the next series: labels above the previous series', one or more chunks in time order that
    /// do not overlap, and chunk references above every earlier one.
    pub fn add_series(&mut self, labels: &Labels, chunks: &[ChunkMeta]) -> Result<(), Error> {
        let at = self.buf.len() as u64;
        let bad =
            |reason: String| Error::malformed("series", at, format!("{}: {reason}", fmt_labels(labels)));
        if labels.is_empty() {
            return Err(bad("no labels".into()));
        }
        if self.last.as_ref().is_some_and(|l| labels <= l) {
            return Err(bad("not above the previous series".into()));
        }
        if chunks.is_empty() {
            return Err(bad("no chunks".into()));
        }
        let mut prev: Option<&ChunkMeta> = None;
        for c in chunks {
            if c.min_t > c.max_t {
                return Err(bad(format!("chunk min time {} above max time {}", c.min_t, c.max_t)));
            }
            if prev.is_some_and(|p| c.min_t <= p.max_t) {
                return Err(bad(format!("chunk at {} overlaps the previous one", c.min_t)));
            }
            let last = prev.map(|p| p.chunk_ref).or(self.last_ref);
            if last.is_some_and(|r| c.chunk_ref <= r) {
                return Err(bad(format!(
                    "chunk reference {} is not above {}",
                    c.chunk_ref,
                    last.unwrap_or_default()
                )));
            }
            prev = Some(c);
        }

        let mut entry = Vec::with_capacity(64);
        put_uvarint(&mut entry, labels.len() as u64);
        for (name, value) in labels {
            if name.is_empty() || value.is_empty() {
                return Err(bad("empty label name or value".into()));
            }
            put_uvarint(&mut entry, self.symbol(name, labels)? as u64);
            put_uvarint(&mut entry, self.symbol(value, labels)? as u64);
        }
        put_uvarint(&mut entry, chunks.len() as u64);
        let first = &chunks[0];
        put_varint(&mut entry, first.min_t);
        put_uvarint(&mut entry, first.max_t.wrapping_sub(first.min_t) as u64);
        put_uvarint(&mut entry, first.chunk_ref);
        for w in chunks.windows(2) {
            let (p, c) = (&w[0], &w[1]);
            put_uvarint(&mut entry, c.min_t.wrapping_sub(p.max_t) as u64);
            put_uvarint(&mut entry, c.max_t.wrapping_sub(c.min_t) as u64);
            put_varint(&mut entry, (c.chunk_ref as i64).wrapping_sub(p.chunk_ref as i64));
        }

        pad_to(&mut self.buf, SERIES_ALIGN);
        let id = u32::try_from(self.buf.len() / SERIES_ALIGN)
            .map_err(|_| bad("index exceeds 64 GiB of series".into()))?;
        put_uvarint(&mut self.buf, entry.len() as u64);
        let start = self.buf.len();
        self.buf.extend_from_slice(&entry);
        put_crc_of(&mut self.buf, start);

        for (name, value) in labels {
            self.postings.entry(name.clone()).or_default().entry(value.clone()).or_default().push(id);
        }
        self.all.push(id);
        self.last = Some(labels.clone());
        self.last_ref = Some(chunks[chunks.len() - 1].chunk_ref);
        Ok(())
    }

    /// Writes the label indices, postings, both offset tables and the TOC; returns the whole file.
    pub fn finish(mut self) -> Result<Vec<u8>, Error> {
        let buf = &mut self.buf;
        self.toc.label_indices = buf.len() as u64;
        let mut label_indices = Vec::with_capacity(self.postings.len());
        for (name, values) in &self.postings {
            pad_to(buf, 4);
            label_indices.push((name.as_str(), buf.len() as u64));
            let at = begin_section(buf);
            put_be32(buf, 1); // names per entry: always one since Prometheus 2
            put_be32(buf, values.len() as u32);
            for value in values.keys() {
                put_be32(buf, self.symbols[value]);
            }
            end_section(buf, at)?;
        }

        self.toc.postings = buf.len() as u64;
        pad_to(buf, 4);
        let mut postings = Vec::new();
        let mut write_list = |buf: &mut Vec<u8>, name: &str, value: &str, ids: &[u32]| -> Result<(), Error> {
            pad_to(buf, 4);
            postings.push((name.to_string(), value.to_string(), buf.len() as u64));
            let at = begin_section(buf);
            put_be32(buf, ids.len() as u32);
            for &id in ids {
                put_be32(buf, id);
            }
            end_section(buf, at)
        };
        write_list(buf, "", "", &self.all)?;
        for (name, values) in &self.postings {
            for (value, ids) in values {
                write_list(buf, name, value, ids)?;
            }
        }

        self.toc.label_indices_table = buf.len() as u64;
        let at = begin_section(buf);
        put_be32(buf, label_indices.len() as u32);
        for (name, offset) in label_indices {
            put_uvarint(buf, 1);
            put_uvarint_str(buf, name);
            put_uvarint(buf, offset);
        }
        end_section(buf, at)?;

        self.toc.postings_table = buf.len() as u64;
        let at = begin_section(buf);
        put_be32(buf, postings.len() as u32);
        for (name, value, offset) in &postings {
            put_uvarint(buf, 2);
            put_uvarint_str(buf, name);
            put_uvarint_str(buf, value);
            put_uvarint(buf, *offset);
        }
        end_section(buf, at)?;

        let start = buf.len();
        let t = self.toc;
        for off in [t.symbols, t.series, t.label_indices, t.label_indices_table, t.postings, t.postings_table]
        {
            put_be64(buf, off);
        }
        put_crc_of(buf, start);
        Ok(self.buf)
    }
}

/// One series as the index holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesEntry {
    /// Offset / 16: what postings refer to.
    pub id: u32,
    /// (name, value) symbol numbers, in name order; [`IndexReader::labels`] reads them.
    pub label_refs: Box<[(u32, u32)]>,
    pub chunks: Vec<ChunkMeta>,
}

/// A fully checked index: every CRC, every ordering rule, the layout Thanos' store gateway relies on
/// (series right after symbols, postings contiguous in table order, the postings table last), and
/// postings and label indices that agree with the series.
#[derive(Debug)]
pub struct IndexReader {
    toc: Toc,
    symbols: Vec<String>,
    series: Vec<SeriesEntry>,
}

/// Reads a `len | body | CRC` section at `off`; returns the body's cursor and the offset after the CRC.
fn section<'a>(bytes: &'a [u8], off: u64, what: &'static str) -> Result<(Decbuf<'a>, u64), Error> {
    if off > bytes.len() as u64 {
        return Err(Error::Truncated { what, offset: off, need: 4, left: 0 });
    }
    let mut d = Decbuf::new(&bytes[off as usize..], off, what);
    let len = d.be32()? as usize;
    let start = d.pos();
    let body_off = d.offset();
    let body = d.bytes(len)?;
    d.check_crc(start)?;
    Ok((Decbuf::new(body, body_off, what), d.offset()))
}

fn align(off: u64, to: u64) -> u64 {
    off.div_ceil(to) * to
}

/// The offset after zero padding from `off` up to a multiple of `to`.
fn skip_padding(bytes: &[u8], off: u64, to: u64, what: &'static str) -> Result<u64, Error> {
    let end = align(off, to);
    match bytes.get(off as usize..end as usize) {
        Some(pad) if pad.iter().all(|&b| b == 0) => Ok(end),
        _ => Err(Error::malformed(what, off, format!("expected zero padding to a multiple of {to}"))),
    }
}

impl IndexReader {
    pub fn parse(bytes: &[u8]) -> Result<IndexReader, Error> {
        let len = bytes.len() as u64;
        if len < HEADER_LEN + TOC_LEN {
            return Err(Error::Truncated { what: "index", offset: 0, need: HEADER_LEN + TOC_LEN, left: len });
        }
        let mut d = Decbuf::new(bytes, 0, "index header");
        let magic = d.be32()?;
        if magic != MAGIC_INDEX {
            return Err(Error::Magic { what: "index", expected: MAGIC_INDEX, got: magic });
        }
        let version = d.byte()?;
        if version != INDEX_VERSION {
            return Err(Error::Version {
                what: "index",
                expected: INDEX_VERSION as u32,
                got: version as u32,
            });
        }

        let toc_at = len - TOC_LEN;
        let mut d = Decbuf::new(&bytes[toc_at as usize..], toc_at, "index toc");
        let mut f = [0u64; 6];
        for x in &mut f {
            *x = d.be64()?;
        }
        d.check_crc(0)?;
        let toc = Toc {
            symbols: f[0],
            series: f[1],
            label_indices: f[2],
            label_indices_table: f[3],
            postings: f[4],
            postings_table: f[5],
        };
        let file_order = [
            toc.symbols,
            toc.series,
            toc.label_indices,
            toc.postings,
            toc.label_indices_table,
            toc.postings_table,
            toc_at,
        ];
        if toc.symbols != HEADER_LEN
            || file_order.windows(2).any(|w| w[0] > w[1])
            || toc.postings_table == toc_at
        {
            return Err(Error::malformed("index toc", toc_at, format!("sections out of order: {toc:?}")));
        }

        let symbols = read_symbols(bytes, &toc)?;
        let series = read_series(bytes, &toc, &symbols)?;
        check_postings(bytes, &toc, toc_at, &symbols, &series)?;
        check_label_indices(bytes, &toc, &symbols, &series)?;
        Ok(IndexReader { toc, symbols, series })
    }

    pub fn toc(&self) -> Toc {
        self.toc
    }

    pub fn symbols(&self) -> &[String] {
        &self.symbols
    }

    /// Every series, in label order.
    pub fn series(&self) -> &[SeriesEntry] {
        &self.series
    }

    /// The labels of `e`, one of [`IndexReader::series`], in name order.
    pub fn labels<'a>(&'a self, e: &'a SeriesEntry) -> impl Iterator<Item = (&'a str, &'a str)> + Clone + 'a {
        pairs(&self.symbols, e)
    }
}

/// The strings of `e`'s symbol numbers, checked to exist when the index was read.
fn pairs<'a>(
    symbols: &'a [String],
    e: &'a SeriesEntry,
) -> impl Iterator<Item = (&'a str, &'a str)> + Clone + 'a {
    let sym = |r: u32| symbols.get(r as usize).map_or("", String::as_str);
    e.label_refs.iter().map(move |&(n, v)| (sym(n), sym(v)))
}

fn read_symbols(bytes: &[u8], toc: &Toc) -> Result<Vec<String>, Error> {
    let (mut d, end) = section(bytes, toc.symbols, "symbol table")?;
    if end != toc.series {
        return Err(Error::malformed(
            "symbol table",
            end,
            format!("series must follow at once, but start at {}", toc.series),
        ));
    }
    let n = d.be32()?;
    let mut out: Vec<String> = Vec::with_capacity((n as usize).min(d.left()));
    for _ in 0..n {
        let at = d.offset();
        let s = d.uvarint_str()?;
        if out.last().is_some_and(|l| s <= l.as_str()) {
            return Err(Error::malformed(
                "symbol table",
                at,
                format!("symbol {s:?} is not above {:?}", out[out.len() - 1]),
            ));
        }
        out.push(s.to_string());
    }
    if !d.is_empty() {
        return Err(d.malformed(format!("{} bytes after {n} symbols", d.left())));
    }
    Ok(out)
}

fn read_series(bytes: &[u8], toc: &Toc, symbols: &[String]) -> Result<Vec<SeriesEntry>, Error> {
    let end = toc.label_indices;
    let mut out: Vec<SeriesEntry> = Vec::new();
    let mut last_ref: Option<u64> = None;
    let mut off = toc.series;
    while off < end {
        let start = skip_padding(bytes, off, SERIES_ALIGN as u64, "series")?;
        if start >= end {
            return Err(Error::malformed("series", off, "padding runs into the label indices"));
        }
        let mut d = Decbuf::new(&bytes[start as usize..end as usize], start, "series");
        let len = d.uvarint()? as usize;
        let body_at = d.pos();
        let mut e = Decbuf::new(d.bytes(len)?, d.offset() - len as u64, "series");
        d.check_crc(body_at)?;
        let next = d.offset();

        let bad = |reason: String| Error::malformed("series", start, reason);
        let lookup = |e: &mut Decbuf<'_>| -> Result<(u32, &str), Error> {
            let at = e.offset();
            let r = e.uvarint32()?;
            symbols
                .get(r as usize)
                .map(|s| (r, s.as_str()))
                .ok_or_else(|| Error::malformed("series", at, format!("symbol {r} does not exist")))
        };
        let n = e.uvarint()?;
        let mut refs = Vec::with_capacity(n.min(1 << 10) as usize);
        let mut last_name: Option<&str> = None;
        for _ in 0..n {
            let ((nr, name), (vr, value)) = (lookup(&mut e)?, lookup(&mut e)?);
            if name.is_empty() || value.is_empty() {
                return Err(bad(format!("empty label name or value in {name:?}={value:?}")));
            }
            if last_name.is_some_and(|l| name <= l) {
                return Err(bad(format!("label {name:?} is not above {last_name:?}")));
            }
            last_name = Some(name);
            refs.push((nr, vr));
        }
        let entry = SeriesEntry { id: 0, label_refs: refs.into_boxed_slice(), chunks: Vec::new() };
        let labels = || owned_labels(pairs(symbols, &entry));
        if entry.label_refs.is_empty() {
            return Err(bad("no labels".into()));
        }
        // Symbols are sorted, so their numbers order label sets as their strings do.
        if out.last().is_some_and(|p| entry.label_refs <= p.label_refs) {
            return Err(bad(format!("{} is not above the previous series", fmt_labels(&labels()))));
        }
        let k = e.uvarint()?;
        if k == 0 {
            return Err(bad(format!("{} has no chunks", fmt_labels(&labels()))));
        }
        let mut chunks: Vec<ChunkMeta> = Vec::with_capacity(k.min(1 << 16) as usize);
        for i in 0..k {
            let c = match chunks.last() {
                None => {
                    let min_t = e.varint()?;
                    let max_t = min_t.wrapping_add(e.uvarint()? as i64);
                    ChunkMeta { min_t, max_t, chunk_ref: e.uvarint()? }
                }
                Some(p) => {
                    let gap = e.uvarint()?;
                    if gap == 0 {
                        return Err(bad(format!(
                            "chunk {i} starts where the previous one ends, at {}",
                            p.max_t
                        )));
                    }
                    let min_t = p.max_t.wrapping_add(gap as i64);
                    let max_t = min_t.wrapping_add(e.uvarint()? as i64);
                    ChunkMeta {
                        min_t,
                        max_t,
                        chunk_ref: (p.chunk_ref as i64).wrapping_add(e.varint()?) as u64,
                    }
                }
            };
            if c.min_t > c.max_t {
                return Err(bad(format!("chunk {i} min time {} above max time {}", c.min_t, c.max_t)));
            }
            if last_ref.is_some_and(|r| c.chunk_ref <= r) {
                return Err(bad(format!(
                    "chunk reference {} is not above {}",
                    c.chunk_ref,
                    last_ref.unwrap_or_default()
                )));
            }
            last_ref = Some(c.chunk_ref);
            chunks.push(c);
        }
        if !e.is_empty() {
            return Err(bad(format!("{} bytes after the chunk metas", e.left())));
        }
        let id =
            u32::try_from(start / SERIES_ALIGN as u64).map_err(|_| bad("offset exceeds 64 GiB".into()))?;
        out.push(SeriesEntry { id, chunks, ..entry });
        off = next;
    }
    if off != end {
        return Err(Error::malformed(
            "series",
            off,
            format!("last entry runs past the label indices at {end}"),
        ));
    }
    Ok(out)
}

/// Reads a postings list at `off`; returns its ids and the offset after it.
fn read_postings(bytes: &[u8], off: u64) -> Result<(Vec<u32>, u64), Error> {
    let (mut d, end) = section(bytes, off, "postings")?;
    let n = d.be32()? as usize;
    if d.left() != 4 * n {
        return Err(d.malformed(format!("{n} entries but {} bytes", d.left())));
    }
    let mut ids: Vec<u32> = Vec::with_capacity(n);
    for _ in 0..n {
        let id = d.be32()?;
        if ids.last().is_some_and(|&l| id <= l) {
            return Err(d.malformed(format!("series id {id} is not above {}", ids[ids.len() - 1])));
        }
        ids.push(id);
    }
    Ok((ids, end))
}

fn check_postings(
    bytes: &[u8],
    toc: &Toc,
    toc_at: u64,
    symbols: &[String],
    series: &[SeriesEntry],
) -> Result<(), Error> {
    let mut want: BTreeMap<(&str, &str), Vec<u32>> = BTreeMap::new();
    want.insert(("", ""), series.iter().map(|s| s.id).collect());
    for s in series {
        for pair in pairs(symbols, s) {
            want.entry(pair).or_default().push(s.id);
        }
    }

    let (mut d, end) = section(bytes, toc.postings_table, "postings offset table")?;
    if end != toc_at {
        return Err(Error::malformed("postings offset table", end, "must end where the TOC starts"));
    }
    let n = d.be32()? as usize;
    if n != want.len() {
        return Err(d.malformed(format!(
            "{n} entries, but the series have {} label pairs and the all-postings key",
            want.len()
        )));
    }
    let mut next = skip_padding(bytes, toc.postings, 4, "postings")?;
    for (key, ids) in &want {
        let at = d.offset();
        let keys = d.uvarint()?;
        let (name, value) = (d.uvarint_str()?, d.uvarint_str()?);
        let off = d.uvarint()?;
        let bad = |reason: String| {
            Error::malformed("postings offset table", at, format!("entry {name:?}={value:?}: {reason}"))
        };
        if keys != 2 {
            return Err(bad(format!("{keys} keys, expected 2")));
        }
        if (name, value) != *key {
            return Err(bad(format!(
                "expected {:?}={:?} (entries sorted, all-postings first)",
                key.0, key.1
            )));
        }
        if off != next {
            return Err(bad(format!("list at {off}, expected {next} (lists contiguous in table order)")));
        }
        let (got, end) = read_postings(bytes, off)?;
        if got != *ids {
            return Err(bad(format!("list {got:?} differs from the series ids {ids:?}")));
        }
        next = end;
    }
    if !d.is_empty() {
        return Err(d.malformed(format!("{} bytes after the entries", d.left())));
    }
    if next != toc.label_indices_table {
        return Err(Error::malformed(
            "postings",
            next,
            format!("last list must end where the label offset table starts, at {}", toc.label_indices_table),
        ));
    }
    Ok(())
}

fn check_label_indices(
    bytes: &[u8],
    toc: &Toc,
    symbols: &[String],
    series: &[SeriesEntry],
) -> Result<(), Error> {
    let mut want: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for s in series {
        for (n, v) in pairs(symbols, s) {
            want.entry(n).or_default().insert(v);
        }
    }
    let (mut d, end) = section(bytes, toc.label_indices_table, "label offset table")?;
    if end != toc.postings_table {
        return Err(Error::malformed(
            "label offset table",
            end,
            "must end where the postings offset table starts",
        ));
    }
    let n = d.be32()? as usize;
    if n != want.len() {
        return Err(d.malformed(format!("{n} entries, but the series have {} label names", want.len())));
    }
    let mut pos = toc.label_indices;
    for (name, values) in &want {
        let next = skip_padding(bytes, pos, 4, "label index")?;
        let at = d.offset();
        let keys = d.uvarint()?;
        let got_name = d.uvarint_str()?;
        let off = d.uvarint()?;
        let bad = |reason: String| {
            Error::malformed("label offset table", at, format!("entry {got_name:?}: {reason}"))
        };
        if keys != 1 || got_name != *name {
            return Err(bad(format!("expected one key {name:?} (entries sorted)")));
        }
        if off != next {
            return Err(bad(format!("label index at {off}, expected {next}")));
        }
        let (mut l, end) = section(bytes, off, "label index")?;
        let (names, count) = (l.be32()?, l.be32()? as usize);
        let got: Vec<&str> = (0..count)
            .map(|_| {
                let r = l.be32()? as usize;
                symbols
                    .get(r)
                    .map(String::as_str)
                    .ok_or_else(|| l.malformed(format!("symbol {r} does not exist")))
            })
            .collect::<Result<_, _>>()?;
        if names != 1 || !l.is_empty() || !got.iter().copied().eq(values.iter().copied()) {
            return Err(Error::malformed(
                "label index",
                off,
                format!("values of {name:?} are {got:?}, expected {values:?}"),
            ));
        }
        pos = end;
    }
    if !d.is_empty() {
        return Err(d.malformed(format!("{} bytes after the entries", d.left())));
    }
    if pos != toc.postings {
        return Err(Error::malformed(
            "label index",
            pos,
            format!("last index must end where the postings start, at {}", toc.postings),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn write(series: &[(Labels, Vec<ChunkMeta>)]) -> Vec<u8> {
        let mut syms: BTreeSet<&str> = BTreeSet::from([""]);
        for (l, _) in series {
            for (k, v) in l {
                syms.insert(k);
                syms.insert(v);
            }
        }
        let mut w = IndexWriter::new(syms).unwrap();
        for (l, c) in series {
            w.add_series(l, c).unwrap();
        }
        w.finish().unwrap()
    }

    /// In label order ("Z" sorts before "__name__"), chunk refs rising across segments.
    fn sample_series() -> Vec<(Labels, Vec<ChunkMeta>)> {
        let c = |min_t, max_t, chunk_ref| ChunkMeta { min_t, max_t, chunk_ref };
        let series = vec![
            (labels(&[("Z", "1"), ("job", "x")]), vec![c(3, 4, 8)]),
            (
                labels(&[("__name__", "a")]),
                vec![c(-5, 10, 40), c(11, 11, 80), c(1 << 40, (1 << 40) + 7, (1 << 32) | 8)],
            ),
            (labels(&[("__name__", "a"), ("job", "x")]), vec![c(0, 100, (1 << 32) | 50)]),
            (labels(&[("__name__", "b"), ("job", "日本\"\\\n")]), vec![c(3, 4, (1 << 32) | 70)]),
        ];
        assert!(series.windows(2).all(|w| w[0].0 < w[1].0));
        series
    }

    #[test]
    fn series_and_chunk_metas_round_trip() {
        let series = sample_series();
        let bytes = write(&series);
        let r = IndexReader::parse(&bytes).unwrap();
        let got: Vec<(Labels, Vec<ChunkMeta>)> =
            r.series().iter().map(|s| (owned_labels(r.labels(s)), s.chunks.clone())).collect();
        assert_eq!(got, series);
        assert_eq!(r.symbols()[0], "");
        assert!(r
            .series()
            .iter()
            .all(|s| s.id as u64 * 16 >= r.toc().series && s.id as u64 * 16 < r.toc().label_indices));
    }

    #[test]
    fn layout_of_a_one_series_index() {
        // {a="b"} with one chunk (mint 1, maxt 2, ref 8), worked out by hand.
        let bytes = write(&[(labels(&[("a", "b")]), vec![ChunkMeta { min_t: 1, max_t: 2, chunk_ref: 8 }])]);
        assert_eq!(bytes[..5], [0xBA, 0xAA, 0xD7, 0x00, 0x02]);
        // Symbols "", "a", "b": len 4 + 1 + 2 + 2 = 9, count 3, then the CRC of those 9 bytes.
        assert_eq!(bytes[5..18], [0, 0, 0, 9, 0, 0, 0, 3, 0, 1, b'a', 1, b'b']);
        assert_eq!(bytes[18..22], crate::tsdb::encoding::crc32c(&bytes[9..18]).to_be_bytes());
        // After the symbol CRC (ends at 22): padding to 32, then the series entry: 1 label (refs 1, 2),
        // 1 chunk: varint(1) = 2, uvarint(1), uvarint(8).
        assert!(bytes[22..32].iter().all(|&b| b == 0));
        assert_eq!(bytes[32..40], [7, 1, 1, 2, 1, 2, 1, 8]);
        let toc_at = bytes.len() - 52;
        let toc: Vec<u64> =
            (0..6).map(|i| u64::from_be_bytes(bytes[toc_at + 8 * i..][..8].try_into().unwrap())).collect();
        assert_eq!(toc[..3], [5, 22, 44]); // symbols, series (before padding), label indices after the series CRC
        let r = IndexReader::parse(&bytes).unwrap();
        assert_eq!(r.series()[0].id, 2);
    }

    #[test]
    fn writer_refuses_what_readers_would_misread() {
        let syms = ["", "a", "b", "c"];
        let one = [ChunkMeta { min_t: 0, max_t: 1, chunk_ref: 8 }];
        let mut w = IndexWriter::new(syms).unwrap();
        w.add_series(&labels(&[("a", "c")]), &one).unwrap();
        // Not above the previous series; chunk ref not above the previous one; no chunks; unknown symbol.
        assert!(w.add_series(&labels(&[("a", "b")]), &[ChunkMeta { chunk_ref: 100, ..one[0] }]).is_err());
        assert!(w.add_series(&labels(&[("b", "c")]), &one).is_err());
        assert!(w.add_series(&labels(&[("b", "c")]), &[]).is_err());
        assert!(w.add_series(&labels(&[("b", "z")]), &[ChunkMeta { chunk_ref: 100, ..one[0] }]).is_err());
        let overlapping = [
            ChunkMeta { min_t: 0, max_t: 5, chunk_ref: 100 },
            ChunkMeta { min_t: 5, max_t: 6, chunk_ref: 200 },
        ];
        assert!(w.add_series(&labels(&[("b", "c")]), &overlapping).is_err());
        assert!(IndexWriter::new(["a", "a"]).is_err());
        assert!(IndexWriter::new(["b", "a"]).is_err());
    }

    #[test]
    fn reader_rejects_any_flipped_byte() {
        // Every byte is covered by a CRC or checked against the series; flipping any one must fail.
        let bytes = write(&sample_series());
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(IndexReader::parse(&bad).is_err(), "flipped byte {i} of {} went unnoticed", bytes.len());
        }
    }

    #[test]
    fn reader_rejects_a_missing_all_postings_entry() {
        // Rebuild the postings offset table without its first entry, with valid CRCs: still an error.
        let bytes = write(&sample_series());
        let r = IndexReader::parse(&bytes).unwrap();
        let toc = r.toc();
        let (mut d, _) = section(&bytes, toc.postings_table, "t").unwrap();
        let n = d.be32().unwrap();
        d.uvarint().unwrap();
        d.uvarint_str().unwrap();
        d.uvarint_str().unwrap();
        d.uvarint().unwrap();
        let rest = d.bytes(d.left()).unwrap().to_vec();
        let mut out = bytes[..toc.postings_table as usize].to_vec();
        let at = begin_section(&mut out);
        put_be32(&mut out, n - 1);
        out.extend_from_slice(&rest);
        end_section(&mut out, at).unwrap();
        let start = out.len();
        for off in [
            toc.symbols,
            toc.series,
            toc.label_indices,
            toc.label_indices_table,
            toc.postings,
            toc.postings_table,
        ] {
            put_be64(&mut out, off);
        }
        put_crc_of(&mut out, start);
        let err = IndexReader::parse(&out).unwrap_err().to_string();
        assert!(err.contains("postings offset table"), "{err}");
    }
}
