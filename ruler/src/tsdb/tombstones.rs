//! The `tombstones` file: deleted time ranges per series. The ruler deletes nothing, so it writes the empty
//! file; reading the general form lets the tests check foreign blocks too.
//!
//! `magic 0130BA30 | version 1 | {uvarint series ref, varint mint, varint maxt}* | CRC-32C of the entries`

use super::encoding::{crc32c, put_be32, put_uvarint, put_varint, Decbuf};
use super::Error;

/// First four bytes of a tombstones file.
pub const MAGIC_TOMBSTONES: u32 = 0x0130_BA30;
/// The only tombstones format version.
pub const TOMBSTONES_V1: u8 = 1;

/// A deleted interval of one series; both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tombstone {
    pub series_ref: u64,
    pub min_t: i64,
    pub max_t: i64,
}

pub fn encode(tombstones: &[Tombstone]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(9 + 16 * tombstones.len());
    put_be32(&mut buf, MAGIC_TOMBSTONES);
    buf.push(TOMBSTONES_V1);
    for t in tombstones {
        put_uvarint(&mut buf, t.series_ref);
        put_varint(&mut buf, t.min_t);
        put_varint(&mut buf, t.max_t);
    }
    // The CRC covers the entries only, not the header.
    let crc = crc32c(&buf[5..]);
    put_be32(&mut buf, crc);
    buf
}

pub fn decode(bytes: &[u8]) -> Result<Vec<Tombstone>, Error> {
    let mut d = Decbuf::new(bytes, 0, "tombstones");
    let magic = d.be32()?;
    if magic != MAGIC_TOMBSTONES {
        return Err(Error::Magic { what: "tombstones", expected: MAGIC_TOMBSTONES, got: magic });
    }
    let version = d.byte()?;
    if version != TOMBSTONES_V1 {
        return Err(Error::Version {
            what: "tombstones",
            expected: TOMBSTONES_V1 as u32,
            got: version as u32,
        });
    }
    if d.left() < 4 {
        return Err(Error::Truncated { what: "tombstones", offset: 5, need: 4, left: d.left() as u64 });
    }
    let mut entries = Decbuf::new(&bytes[5..bytes.len() - 4], 5, "tombstones");
    let mut out = Vec::new();
    while !entries.is_empty() {
        out.push(Tombstone {
            series_ref: entries.uvarint()?,
            min_t: entries.varint()?,
            max_t: entries.varint()?,
        });
    }
    d.skip(bytes.len() - 9)?;
    d.check_crc(5)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_nine_bytes() {
        assert_eq!(encode(&[]), [0x01, 0x30, 0xBA, 0x30, 0x01, 0, 0, 0, 0]);
        assert_eq!(decode(&encode(&[])).unwrap(), []);
    }

    #[test]
    fn entries_round_trip_and_damage_is_caught() {
        let ts = [
            Tombstone { series_ref: 2, min_t: -10, max_t: 10 },
            Tombstone { series_ref: 1 << 40, min_t: i64::MIN, max_t: i64::MAX },
        ];
        let bytes = encode(&ts);
        assert_eq!(decode(&bytes).unwrap(), ts);
        let mut bad = bytes.clone();
        bad[6] ^= 1;
        assert!(matches!(decode(&bad), Err(Error::Checksum { .. })));
        assert!(matches!(decode(&bytes[..7]), Err(Error::Truncated { .. })));
    }
}
