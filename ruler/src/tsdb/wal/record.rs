//! The records a WAL carries, as Prometheus' `tsdb/record` encodes them. The first byte is the type:
//!
//! ```text
//! series (1):     { ref u64 BE | uvarint #labels | { uvarint len | name | uvarint len | value }* }*
//! samples (2):    base ref u64 BE | base t i64 BE
//!                 | { varint(ref - base ref) | varint(t - base t) | value f64 bits BE }*
//! tombstones (3): { ref u64 BE | varint mint | varint maxt }*
//! ```
//!
//! Every sample, the first included, is stored as deltas from the first; values keep their exact bits, so
//! NaN payloads and the staleness marker survive.

use promapi::Labels;

use super::super::encoding::{put_be64, put_uvarint, put_uvarint_str, put_varint, Decbuf};
use super::super::tombstones::Tombstone;
use super::super::Error;

pub const SERIES: u8 = 1;
pub const SAMPLES: u8 = 2;
pub const TOMBSTONES: u8 = 3;

/// Type byte and base ref and time of a samples record.
pub(super) const SAMPLES_HEADER_LEN: usize = 1 + 8 + 8;
/// The most one sample can take: two 10-byte varints and the value.
pub(super) const MAX_SAMPLE_LEN: usize = 10 + 10 + 8;

/// A series and the reference its samples use, Prometheus' `RefSeries`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefSeries {
    pub series_ref: u64,
    pub labels: Labels,
}

/// One sample of the series `series_ref`, Prometheus' `RefSample`.
#[derive(Debug, Clone, Copy)]
pub struct RefSample {
    pub series_ref: u64,
    pub t: i64,
    pub v: f64,
}

/// One decoded record.
#[derive(Debug, Clone)]
pub enum Record {
    Series(Vec<RefSeries>),
    Samples(Vec<RefSample>),
    Tombstones(Vec<Tombstone>),
    /// A type this reader does not decode (exemplars, mmap markers, metadata, histograms, or one from a
    /// later Prometheus), with its type byte. Prometheus' head skips unknown records too.
    Other(u8),
}

/// Bytes `labels` take as one entry of a series record.
pub(super) fn series_entry_len(labels: &Labels) -> usize {
    let str_len = |s: &str| uvarint_len(s.len() as u64) + s.len();
    8 + uvarint_len(labels.len() as u64) + labels.iter().map(|(k, v)| str_len(k) + str_len(v)).sum::<usize>()
}

fn uvarint_len(v: u64) -> usize {
    (64 - v.leading_zeros() as usize).div_ceil(7).max(1)
}

/// Appends one series record.
pub fn encode_series(series: &[(u64, &Labels)], buf: &mut Vec<u8>) {
    buf.push(SERIES);
    for &(series_ref, labels) in series {
        put_be64(buf, series_ref);
        put_uvarint(buf, labels.len() as u64);
        for (name, value) in labels {
            put_uvarint_str(buf, name);
            put_uvarint_str(buf, value);
        }
    }
}

/// Appends one samples record: `(ref, t in ms, value)`.
pub fn encode_samples(samples: &[(u64, i64, f64)], buf: &mut Vec<u8>) {
    buf.push(SAMPLES);
    let Some(&(base_ref, base_t, _)) = samples.first() else { return };
    put_be64(buf, base_ref);
    put_be64(buf, base_t as u64);
    for &(series_ref, t, v) in samples {
        // Deltas are signed 64-bit differences that may wrap, as Go computes `int64(ref) - int64(base)`.
        put_varint(buf, (series_ref as i64).wrapping_sub(base_ref as i64));
        put_varint(buf, t.wrapping_sub(base_t));
        put_be64(buf, v.to_bits());
    }
}

/// Appends one tombstones record.
pub fn encode_tombstones(tombstones: &[Tombstone], buf: &mut Vec<u8>) {
    buf.push(TOMBSTONES);
    for t in tombstones {
        put_be64(buf, t.series_ref);
        put_varint(buf, t.min_t);
        put_varint(buf, t.max_t);
    }
}

/// Decodes a whole record; offsets in errors count from its type byte.
pub fn decode(rec: &[u8]) -> Result<Record, Error> {
    let Some((&kind, _)) = rec.split_first() else {
        return Err(Error::malformed("WAL record", 0, "empty record"));
    };
    match kind {
        SERIES => decode_series(rec).map(Record::Series),
        SAMPLES => decode_samples(rec).map(Record::Samples),
        TOMBSTONES => decode_tombstones(rec).map(Record::Tombstones),
        other => Ok(Record::Other(other)),
    }
}

fn decode_series(rec: &[u8]) -> Result<Vec<RefSeries>, Error> {
    let mut d = Decbuf::new(rec, 0, "WAL series record");
    d.skip(1)?;
    let mut out = Vec::new();
    while !d.is_empty() {
        let series_ref = d.be64()?;
        let n = d.uvarint()?;
        let mut labels = Labels::new();
        let mut previous: Option<&str> = None;
        for _ in 0..n {
            let at = d.offset();
            let name = d.uvarint_str()?;
            let value = d.uvarint_str()?;
            // Prometheus keeps labels sorted by name; anything else is not its encoding.
            if previous.is_some_and(|p| p >= name) {
                return Err(Error::malformed(
                    "WAL series record",
                    at,
                    format!("label {name:?} out of order"),
                ));
            }
            previous = Some(name);
            labels.insert(name.to_string(), value.to_string());
        }
        out.push(RefSeries { series_ref, labels });
    }
    Ok(out)
}

fn decode_samples(rec: &[u8]) -> Result<Vec<RefSample>, Error> {
    let mut d = Decbuf::new(rec, 0, "WAL samples record");
    d.skip(1)?;
    let mut out = Vec::new();
    if d.is_empty() {
        return Ok(out);
    }
    let base_ref = d.be64()?;
    let base_t = d.be64()? as i64;
    while !d.is_empty() {
        let series_ref = (base_ref as i64).wrapping_add(d.varint()?) as u64;
        let t = base_t.wrapping_add(d.varint()?);
        let v = f64::from_bits(d.be64()?);
        out.push(RefSample { series_ref, t, v });
    }
    Ok(out)
}

fn decode_tombstones(rec: &[u8]) -> Result<Vec<Tombstone>, Error> {
    let mut d = Decbuf::new(rec, 0, "WAL tombstones record");
    d.skip(1)?;
    let mut out = Vec::new();
    while !d.is_empty() {
        out.push(Tombstone { series_ref: d.be64()?, min_t: d.varint()?, max_t: d.varint()? });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn series_round_trip_with_many_labels() {
        let many: Labels = (0..300).map(|i| (format!("l{i:03}"), "v".repeat(i % 150) + "é")).collect();
        let a = labels(&[("__name__", "up"), ("job", "a\"b\\c\n"), ("x", "")]);
        let empty = Labels::new();
        let input = [(1u64, &a), (u64::MAX, &many), (7, &empty)];
        let mut buf = Vec::new();
        encode_series(&input, &mut buf);
        assert_eq!(buf[0], SERIES);
        assert_eq!(buf.len(), 1 + input.iter().map(|(_, l)| series_entry_len(l)).sum::<usize>());
        let Record::Series(got) = decode(&buf).unwrap() else { panic!("not series") };
        let want: Vec<RefSeries> =
            input.iter().map(|&(r, l)| RefSeries { series_ref: r, labels: l.clone() }).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn series_bytes_match_the_layout() {
        let mut buf = Vec::new();
        encode_series(&[(0x0102, &labels(&[("a", "bc")]))], &mut buf);
        assert_eq!(buf, [1, 0, 0, 0, 0, 0, 0, 1, 2, 1, 1, b'a', 2, b'b', b'c']);
    }

    #[test]
    fn samples_round_trip_bit_for_bit() {
        let values = [
            f64::from_bits(STALE_NAN),
            f64::from_bits(0x7ff8_0000_0000_0001),
            f64::from_bits(0xfff8_dead_beef_0001),
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            5e-324,
            f64::MAX,
            -1.5,
        ];
        // Refs and times both below and above the first: negative deltas, and extremes that wrap.
        let samples: Vec<(u64, i64, f64)> = vec![
            (500, 1_700_000_000_000, values[0]),
            (1, 1_699_999_999_000, values[1]),
            (u64::MAX, i64::MIN, values[2]),
            (0, i64::MAX, values[3]),
            (500, 1_700_000_000_000, values[4]),
            (499, -1, values[5]),
            (501, 0, values[6]),
            (2, 2, values[7]),
            (3, 3, values[8]),
            (4, 4, values[9]),
        ];
        let mut buf = Vec::new();
        encode_samples(&samples, &mut buf);
        assert!(buf.len() <= SAMPLES_HEADER_LEN + samples.len() * MAX_SAMPLE_LEN);
        let Record::Samples(got) = decode(&buf).unwrap() else { panic!("not samples") };
        let got: Vec<(u64, i64, u64)> = got.iter().map(|s| (s.series_ref, s.t, s.v.to_bits())).collect();
        let want: Vec<(u64, i64, u64)> = samples.iter().map(|&(r, t, v)| (r, t, v.to_bits())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn samples_bytes_match_the_layout() {
        let mut buf = Vec::new();
        encode_samples(&[(5, 1000, 1.0), (4, 1001, -0.0)], &mut buf);
        let mut want = vec![2, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0x03, 0xe8];
        want.extend([0, 0, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]);
        // ref delta -1 and time delta +1 in zigzag are 1 and 2.
        want.extend([1, 2, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(buf, want);
        let mut empty = Vec::new();
        encode_samples(&[], &mut empty);
        assert_eq!(empty, [SAMPLES]);
        assert!(matches!(decode(&empty).unwrap(), Record::Samples(s) if s.is_empty()));
    }

    #[test]
    fn tombstones_round_trip() {
        let stones = [
            Tombstone { series_ref: 3, min_t: -5, max_t: 10 },
            Tombstone { series_ref: 1, min_t: i64::MIN, max_t: i64::MAX },
        ];
        let mut buf = Vec::new();
        encode_tombstones(&stones, &mut buf);
        let Record::Tombstones(got) = decode(&buf).unwrap() else { panic!("not tombstones") };
        assert_eq!(got, stones);
    }

    #[test]
    fn other_types_are_skipped_and_damage_is_reported() {
        assert!(matches!(decode(&[6, 1, 2, 3]).unwrap(), Record::Other(6)));
        assert!(matches!(decode(&[]), Err(Error::Malformed { .. })));

        let mut buf = Vec::new();
        encode_samples(&[(1, 2, 3.0)], &mut buf);
        buf.pop();
        assert!(matches!(decode(&buf), Err(Error::Truncated { what: "WAL samples record", .. })));

        // Labels must be sorted, as Prometheus writes them.
        let unsorted = [1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1, b'b', 0, 1, b'a', 0];
        assert!(matches!(decode(&unsorted), Err(Error::Malformed { offset: 13, .. })));
    }
}
